"""scrapli classic IOSXEDriver (system transport, i.e. OpenSSH) against one lab device.

usage: scrapli_client.py PORT
Prints one JSON object.
"""

import json
import sys

from scrapli.driver.core import IOSXEDriver


def main():
    port = int(sys.argv[1])
    conn = IOSXEDriver(
        host="127.0.0.1",
        port=port,
        auth_username="admin",
        auth_password="default",
        auth_strict_key=False,
        transport="system",
        timeout_socket=15,
        timeout_transport=30,
        timeout_ops=30,
    )
    conn.open()
    result = {"prompt": conn.get_prompt()}
    version = conn.send_command("show version")
    result["show_version"] = version.result
    result["show_version_failed"] = version.failed
    bad = conn.send_command("show bogus")
    result["bad"] = bad.result
    result["bad_failed"] = bad.failed
    conn.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
