"""Waits for the file argv[1] to exist (the listener is up), writes the time to argv[2], then N
PROCESS_COMMUNICATION messages (XSUPERVISOR tokens) on stdout in one go, then sleeps."""
import os
import sys
import time

go, t0file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
while not os.path.exists(go):
    time.sleep(0.01)
data = ''.join('<!--XSUPERVISOR:BEGIN-->message %d<!--XSUPERVISOR:END-->' % i for i in range(n))
with open(t0file, 'w') as f:
    f.write('%f\n' % time.time())
sys.stdout.write(data)
sys.stdout.flush()
time.sleep(300)
