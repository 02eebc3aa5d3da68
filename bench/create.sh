#!/bin/bash
# The create path alone (parse, rules, write; no container started) for a
# typical `runc spec` config and for a ~1 MiB config with thousands of env
# vars and mounts, plus hardrun's peak memory.  Targets: < 1 ms, < 10 ms.
set -eu
. "$(dirname "$0")/lib.sh"
N=${BENCH_N:-200}
BC=${BENCH_CREATE:-$HR_TOP/build/bench/bench-create}
work=$(mktemp -d /tmp/hr-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bundle "$work/typical" true
make_bundle "$work/big" true
python3 - "$work/big/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["env"] += ["VAR_%05d=%s" % (i, "v" * 80) for i in range(6000)]
c["mounts"] += [{"destination": "/mnt/m%04d" % i, "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "size=64k"]} for i in range(2500)]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
size=$(stat -c %s "$work/big/config.json")
t=$("$BC" "$work/typical" "$N")
b=$("$BC" "$work/big" $((N / 10 + 1)))
echo "create path, typical config ($(stat -c %s "$work/typical/config.json") bytes): $t (target < 1000 us)"
echo "create path, $((size / 1024)) KiB config: $b (target < 10000 us)"
