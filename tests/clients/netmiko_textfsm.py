"""netmiko with use_textfsm=True and the lab's TextFSM templates (parsers/textfsm, via NET_TEXTFSM).

usage: netmiko_textfsm.py PORT TEMPLATE_DIR COMMAND...
Prints one JSON object: for each command, what send_command(..., use_textfsm=True) returned (a
list of rows when a template parsed the output, the raw text otherwise).
"""

import json
import os
import sys

from netmiko import ConnectHandler


def main():
    port, templates, commands = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    os.environ["NET_TEXTFSM"] = templates
    conn = ConnectHandler(
        device_type="cisco_ios",
        host="127.0.0.1",
        port=port,
        username="admin",
        password="default",
        conn_timeout=15,
        auth_timeout=15,
        banner_timeout=15,
        timeout=30,
    )
    result = {}
    for command in commands:
        result[command] = conn.send_command(
            command, use_textfsm=True, raise_parsing_error=True
        )
    conn.disconnect()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
