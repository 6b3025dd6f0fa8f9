"""netmiko (device_type cisco_ios) against one lab device.

usage: netmiko_client.py PORT NEW_HOSTNAME
Prints one JSON object: what each call returned.
"""

import json
import sys

from netmiko import ConnectHandler


def main():
    port, new_hostname = int(sys.argv[1]), sys.argv[2]
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
    result = {"prompt": conn.find_prompt()}
    result["show_version"] = conn.send_command("show version")
    result["config"] = conn.send_config_set([f"hostname {new_hostname}"])
    # The prompt changed with the hostname: netmiko must learn it again.
    conn.set_base_prompt()
    result["prompt_after"] = conn.find_prompt()
    result["save"] = conn.save_config()
    result["running"] = conn.send_command("show running-config")
    result["startup"] = conn.send_command("show startup-config")
    conn.disconnect()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
