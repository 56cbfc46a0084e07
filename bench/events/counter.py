"""Counts events (childutils protocol); at the Nth writes the time to argv[1]."""
import sys
import time

from supervisor import childutils

n = int(sys.argv[2])
seen = 0
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    seen += 1
    childutils.listener.ok(sys.stdout)
    if seen == n:
        with open(sys.argv[1], 'w') as f:
            f.write('%f\n' % time.time())
