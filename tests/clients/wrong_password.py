"""A wrong password, as paramiko and netmiko meet it.

usage: wrong_password.py PORT
Prints one JSON object: the exception each library raised and how long it took.
"""

import json
import sys
import time

import paramiko
from netmiko import ConnectHandler


def attempt(fn):
    started = time.monotonic()
    try:
        fn()
        error = "none"
    except Exception as e:  # the class is what the test checks
        error = type(e).__name__
    return {"error": error, "seconds": round(time.monotonic() - started, 3)}


def main():
    port = int(sys.argv[1])

    def with_paramiko():
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect("127.0.0.1", port=port, username="admin", password="wrong",
                       look_for_keys=False, allow_agent=False, timeout=10,
                       auth_timeout=10, banner_timeout=10)

    def with_netmiko():
        ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=port,
                       username="admin", password="wrong", conn_timeout=10,
                       auth_timeout=10, banner_timeout=10)

    print(json.dumps({"paramiko": attempt(with_paramiko), "netmiko": attempt(with_netmiko)}))


if __name__ == "__main__":
    main()
