# What a user feels when a kernel starts, through Debian's jupyter_client (driven by bench/kernel.mjs, which
# writes the two kernelspecs into JUPYTER_PATH): alternating launches of each kernel named in argv,
#  - spawn -> first result: start the kernel, connect, send a cell with a type annotation at once (as Notebook
#    does after connecting) and time its execute_result;
#  - spawn -> first type error: the same with a cell that does not type-check, timed to its error reply;
#  (each timed to its execute_reply, which follows everything the cell published)
#  - start_new_kernel: jupyter_client's own start (its wait_for_ready loop), to its return.
# Prints one JSON object: {kernel: {firstResult: [ms], firstError: [ms], startNewKernel: [ms]}}.
import json, sys, time
from jupyter_client.manager import KernelManager, start_new_kernel

launches = int(sys.argv[1])
kernels = sys.argv[2:]
CELL = 'const x: number = 1; x + 1'
BAD = 'const y: number = "one"; y'


def first_reply(name, code):
    started = time.monotonic()
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        msg_id = kc.execute(code)
        # The shell reply, not iopub: a SUB socket that joined late would miss the result (slow joiner), and
        # the reply comes after everything the cell published.
        while True:
            msg = kc.get_shell_msg(timeout=60)
            if msg['parent_header'].get('msg_id') == msg_id:
                return (time.monotonic() - started) * 1000, msg['content']['status']
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def start_new(name):
    started = time.monotonic()
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=60)
    ms = (time.monotonic() - started) * 1000
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return ms


out = {k: {'firstResult': [], 'firstError': [], 'startNewKernel': [], 'wrong': 0} for k in kernels}
for _ in range(launches):
    for k in kernels:
        ms, kind = first_reply(k, CELL)
        out[k]['firstResult'].append(ms)
        out[k]['wrong'] += kind != 'ok'
        ms, kind = first_reply(k, BAD)
        out[k]['firstError'].append(ms)
        out[k]['wrong'] += kind != 'error'
        out[k]['startNewKernel'].append(start_new(k))
print(json.dumps(out))
