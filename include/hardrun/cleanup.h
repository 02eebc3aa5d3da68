/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_CLEANUP_H
#define HARDRUN_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * Scope-bound cleanup.  Every variable carrying one of these attributes must
 * be initialised at its declaration (NULL, -1).  Ownership leaves a scope only
 * through hr_steal_ptr() / hr_steal_fd(), which reset the source.
 */

/* Both reset the variable, so an early explicit call leaves nothing for
 * the scope's end (or a later owner) to free or close twice. */
static inline void hr_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

static inline void hr_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void hr_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void hr_strvfreep(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

#define _cleanup_(f)	 __attribute__((cleanup(f)))
#define _cleanup_free_	 _cleanup_(hr_freep)
#define _cleanup_close_	 _cleanup_(hr_closep)
#define _cleanup_fclose_ _cleanup_(hr_fclosep)
#define _cleanup_strv_	 _cleanup_(hr_strvfreep)

/* Take ownership of *pp, leaving NULL behind.  Type-checked: pp must be T**. */
#define hr_steal_ptr(pp)                                                                           \
	({                                                                                         \
		__typeof__(*(pp)) _hr_tmp = *(pp);                                                 \
		*(pp) = NULL;                                                                      \
		_hr_tmp;                                                                           \
	})

static inline int hr_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#endif
