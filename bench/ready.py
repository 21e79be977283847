#!/usr/bin/env python3
"""Start-up of openmic-mock: seconds from spawn to the startup line, and peak RSS (VmHWM) at that moment.

    python3 bench/ready.py BINARY[,BINARY...] ROUNDS [SERVE FLAGS...]
    python3 bench/ready.py old/openmic-mock,target/release/openmic-mock 3 --generate 1000000

Each round starts each binary in turn on a free loopback port with the flags given, waits for its startup line
(printed once the data is loaded, indexed and anchored and the port is bound), reads its VmHWM from /proc, and
kills it. Prints each run, then the medians per binary: alternating rounds keep a comparison fair on a noisy
machine. Linux only (/proc).
"""
import re
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binaries = sys.argv[1].split(",")
    rounds = int(sys.argv[2])
    flags = sys.argv[3:]
    runs = {binary: [] for binary in binaries}
    for round_ in range(rounds):
        for binary in binaries:
            started = time.monotonic()
            server = subprocess.Popen(
                [binary, "--port", "0", "--log-level", "warn", *flags], stdout=subprocess.PIPE, text=True
            )
            try:
                line = server.stdout.readline()
                seconds = time.monotonic() - started
                if "listening" not in line:
                    sys.exit(f"{binary} did not start: {line!r}")
                with open(f"/proc/{server.pid}/status") as status:
                    hwm_mib = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) // 1024
            finally:
                server.kill()
                server.wait()
            runs[binary].append((seconds, hwm_mib))
            print(f"round {round_ + 1}: {binary}: {seconds:.2f} s, VmHWM {hwm_mib} MiB", flush=True)
    for binary, results in runs.items():
        seconds = statistics.median(s for s, _ in results)
        hwm = statistics.median(h for _, h in results)
        print(f"{binary}: median {seconds:.2f} s to the startup line, VmHWM {hwm} MiB")


if __name__ == "__main__":
    main()
