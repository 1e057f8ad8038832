#!/usr/bin/env python3
"""Run a command, print 'seconds peak_rss_mib'. Peak RSS is the child's, from getrusage.
Exit status 1 counts as success: scanners use it for "findings"."""
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
el = time.monotonic() - t
if p.returncode not in (0, 1):
    sys.stderr.write(p.stderr.decode(errors="replace")[-2000:])
    sys.exit(p.returncode)
print(f"{el:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
