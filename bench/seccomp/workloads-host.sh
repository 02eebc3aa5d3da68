# Runs inside the container of workloads.sh: each runtime prints NAME-ok.
command -v python3 >/dev/null && python3 -c '
import threading, subprocess, socket, asyncio, multiprocessing, sqlite3
t = threading.Thread(target=lambda: None); t.start(); t.join()
assert subprocess.run(["true"]).returncode == 0
s = socket.socket()
try: s.connect(("127.0.0.1", 1))
except ConnectionRefusedError: pass
async def m(): await asyncio.sleep(0.01)
asyncio.run(m())
with multiprocessing.Pool(2) as p: assert p.map(abs, [-1]) == [1]
sqlite3.connect(":memory:").execute("select 1")
socket.getaddrinfo("localhost", 80)
print("python-ok")'
command -v perl >/dev/null && perl -e 'my $p = fork; if (!$p) { exit 0 } waitpid($p, 0); print "perl-ok\n"'
command -v node >/dev/null && node -e 'const {Worker} = require("worker_threads");
new Worker("process.exit(0)", {eval: true}).on("exit", () =>
  require("child_process").exec("true", e => require("net").connect(1, "127.0.0.1")
    .on("error", x => console.log(x.code == "ECONNREFUSED" ? "node-ok" : x.code))))'
command -v java >/dev/null && cd /tmp && printf '%s' 'public class H { public static void main(String[] a) throws Exception { Thread t = new Thread(() -> {}); t.start(); t.join(); if (new ProcessBuilder("true").start().waitFor() == 0) System.out.println("java-ok"); } }' >H.java && java -Xshare:off H.java
command -v runc >/dev/null && runc --version >/dev/null && echo go-ok
