"""Executes a notebook on the tsp2p kernel with Debian's nbclient and prints its outputs as JSON."""
import json
import sys

import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, kernel_name="tsp2p", timeout=60, allow_errors=len(sys.argv) > 2 and sys.argv[2] == "allow-errors")
client.execute()
json.dump([{"source": c.source, "outputs": c.get("outputs", []), "execution_count": c.get("execution_count")} for c in nb.cells if c.cell_type == "code"], sys.stdout)
