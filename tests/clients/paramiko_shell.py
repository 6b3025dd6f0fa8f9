"""paramiko invoke_shell against one lab device: read the prompt, run commands, exit.

usage: paramiko_shell.py PORT
Prints one JSON object.
"""

import json
import sys
import time

import paramiko


def read_until(chan, suffix, timeout=20.0):
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(suffix.encode()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {suffix!r} after {data!r}")
        chan.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = chan.recv(65536)
        if not chunk:
            raise EOFError(f"channel closed after {data!r}")
        data += chunk
    return data.decode()


def main():
    port = int(sys.argv[1])
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=port,
        username="admin",
        password="default",
        look_for_keys=False,
        allow_agent=False,
        timeout=15,
        banner_timeout=15,
        auth_timeout=15,
    )
    chan = client.invoke_shell(term="vt100", width=200, height=24)
    result = {"banner": read_until(chan, "#")}
    prompt = result["banner"].splitlines()[-1]
    result["prompt"] = prompt
    chan.send("terminal length 0\n")
    result["term_len"] = read_until(chan, prompt)
    chan.send("show version\n")
    result["show_version"] = read_until(chan, prompt)
    chan.send("exit\n")
    chan.settimeout(20)
    deadline = time.monotonic() + 20
    while not chan.exit_status_ready():
        if time.monotonic() > deadline:
            raise TimeoutError("no exit status after exit")
        time.sleep(0.05)
    result["exit_status"] = chan.recv_exit_status()
    client.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
