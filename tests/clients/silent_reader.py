"""A client that types and never reads (issue 15, item 1).

usage: silent_reader.py PORT USERS COMMANDS PAUSE
Logs in with a small window, grows the running configuration by USERS accounts, then sends
COMMANDS lines of `show running-config` without reading a byte, waits PAUSE seconds and leaves.
Prints "typed" when the typing is done (so the caller can watch the lab meanwhile), then one JSON
object.
"""

import json
import sys
import time

import paramiko


def main():
    port, users, commands, pause = (int(a) for a in sys.argv[1:5])
    transport = paramiko.Transport(("127.0.0.1", port))
    transport.connect(username="admin", password="default")
    chan = transport.open_session(window_size=32768, max_packet_size=16384)
    chan.get_pty(width=200, height=0)
    chan.invoke_shell()
    setup = "terminal length 0\nconfigure terminal\n"
    setup += "".join(f"username user{i:05} password secret{i} privilege 1\n" for i in range(users))
    setup += "end\n"

    def drain(quiet):
        data = b""
        chan.settimeout(quiet)
        while True:
            try:
                chunk = chan.recv(1 << 20)
            except Exception:
                return data
            if not chunk:
                return data
            data += chunk

    for n, line in enumerate(setup.splitlines(keepends=True)):
        chan.send(line)
        if n % 200 == 0:
            drain(0.05)
    drain(2.0)
    started = time.monotonic()
    typed = 0
    for _ in range(commands):
        line = "show running-config\n"
        # never read: sendall blocks only if the lab stops reading our input (TCP back-pressure)
        chan.sendall(line)
        typed += len(line)
    sent_in = time.monotonic() - started
    print("typed", flush=True)
    time.sleep(pause)
    print(json.dumps({"typed": typed, "typing_seconds": round(sent_in, 2)}))
    transport.close()


if __name__ == "__main__":
    main()
