"""A password guesser: N wrong passwords, then the right one (issue 15, item 10).

usage: guesses.py PORT N
Prints one JSON object: how long the guesses took and whether the right password still got in.
"""

import json
import sys
import time

import paramiko


def login(port, password):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect("127.0.0.1", port=port, username="admin", password=password,
                       look_for_keys=False, allow_agent=False, timeout=10,
                       auth_timeout=10, banner_timeout=10)
        return "accepted"
    except paramiko.AuthenticationException:
        return "refused"
    finally:
        client.close()


def main():
    port, guesses = int(sys.argv[1]), int(sys.argv[2])
    started = time.monotonic()
    wrong = [login(port, f"guess{i}") for i in range(guesses)]
    seconds = round(time.monotonic() - started, 2)
    print(json.dumps({"wrong": wrong, "seconds": seconds, "right": login(port, "default")}))


if __name__ == "__main__":
    main()
