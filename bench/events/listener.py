"""A supervisor.childutils listener that counts events; when the count reaches one of the milestones given
(argv[2], comma-separated) it writes the time (and the serials seen so far, checked) to argv[1]/at-N."""
import os
import sys
import time

from supervisor import childutils

outdir = sys.argv[1]
milestones = set(int(x) for x in sys.argv[2].split(','))
seen = 0
last_poolserial = None
gaps = 0
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    seen += 1
    ps = int(headers['poolserial'])
    if last_poolserial is not None and ps != last_poolserial + 1:
        gaps += 1
    last_poolserial = ps
    childutils.listener.ok(sys.stdout)
    if seen in milestones:
        tmp = os.path.join(outdir, 'at-%d.tmp' % seen)
        with open(tmp, 'w') as f:
            f.write('%f %d\n' % (time.time(), gaps))
        os.rename(tmp, os.path.join(outdir, 'at-%d' % seen))
