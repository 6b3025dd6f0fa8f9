"""scrapli's 2026 rewrite (`cisco_iosxe` definition) against one lab device, over the system
OpenSSH (`bin` transport) or libssh2 (`ssh2`): prompt, show version, a configuration change, save.

usage: scrapli2026_client.py PORT bin|ssh2 NEW_HOSTNAME
Prints one JSON object.
"""

import json
import sys

from scrapli import AuthOptions, Cli
from scrapli.transport import BinOptions, Ssh2Options


def main():
    port, kind, hostname = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if kind == "bin":
        transport = BinOptions(enable_strict_key=False, ssh_config_path="/dev/null")
    else:
        transport = Ssh2Options()
    cli = Cli(
        host="127.0.0.1",
        port=port,
        definition_file_or_name="cisco_iosxe",
        auth_options=AuthOptions(username="admin", password="default"),
        transport_options=transport,
    )
    cli.open()
    result = {"prompt": cli.get_prompt().result}
    result["show_version"] = cli.send_input(input_="show version").result
    cli.send_inputs(inputs=[f"hostname {hostname}"], requested_mode="configuration")
    result["prompt_config"] = cli.get_prompt().result
    result["save"] = cli.send_input(input_="write memory").result
    result["prompt_after"] = cli.get_prompt().result
    result["startup"] = cli.send_input(input_="show startup-config").result
    cli.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
