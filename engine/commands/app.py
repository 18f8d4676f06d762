"""``wxplan app``: the Streamlit app of the installed package, in a child process stopped with this one."""

from __future__ import annotations

import argparse
import subprocess
import sys

from engine.errors import UserError

NAME = "app"

# The settings of the repository's .streamlit/config.toml, which an installed package does not carry.
APP_FLAGS = (
    "--server.headless=true",
    "--server.fileWatcherType=none",
    "--browser.gatherUsageStats=false",
    "--theme.base=light",
    "--client.toolbarMode=viewer",
    "--client.showErrorDetails=none",
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="start the Streamlit app (from the installed package)")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    p.add_argument("--address", default=None, help="address to bind (default: Streamlit's, every interface)")
    return p


def run(args: argparse.Namespace) -> int:
    """``streamlit run`` on the installed app/streamlit_app.py."""
    from engine.resources import app_script

    if not 0 < args.port < 65536:
        raise UserError(f"--port: {args.port} is not a port number (1-65535)")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_script()), *APP_FLAGS]
    cmd.append(f"--server.port={args.port}")
    if args.address:
        cmd.append(f"--server.address={args.address}")
    child = subprocess.Popen(cmd)
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
