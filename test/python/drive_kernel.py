"""Drives the tsp2p kernel with Debian's jupyter_client, as Jupyter itself would, and prints a JSON report.

The Node test (test/jupyter-client.test.mjs) runs this and asserts on the report, so pass/fail is counted by
node --test. The kernel is found through JUPYTER_PATH, from its installed kernelspec.
"""
import json
import os
import signal
import sys
import threading
import time

from jupyter_client.manager import start_new_kernel

report = {}
km, kc = start_new_kernel(kernel_name="tsp2p", startup_timeout=60)


def run(code, timeout=60, **kwargs):
    outputs = []
    reply = kc.execute_interactive(code, output_hook=lambda m: outputs.append({"type": m["msg_type"], "content": m["content"]}), timeout=timeout, **kwargs)
    return {"reply": reply["content"], "outputs": [o for o in outputs if o["type"] not in ("status", "execute_input")]}


def shell(method, *args, **kwargs):
    getattr(kc, method)(*args, **kwargs)
    return kc.get_shell_msg(timeout=30)["content"]


try:
    report["kernel_info"] = kc.kernel_info(reply=True, timeout=30)["content"]
    report["declare"] = run("const base: number = 20;\nconst bytes = new Uint8Array([1, 2, 3]);")
    report["result"] = run("base * 2 + 2")
    report["stream"] = run('console.log("out"); console.error("err")')
    report["runtime_error"] = run('throw new TypeError("bad thing")')
    report["type_error"] = run('const s: string = base;')
    # A function that throws, called in its own cell and from a later one: frames name cells and lines.
    report["trace_define"] = run('// parses\nfunction parse(text: string): number {\n  const data: { x: { y: number } } = JSON.parse(text);\n  return data.x.y;\n}')
    report["trace_call"] = run('const n: number = 1;\nparse("{}") + n')
    report["display"] = run('display.html("<p>a</p>", { id: "d1" }); display.html("<p>b</p>", { id: "d1", update: true })')
    report["complete"] = shell("complete", "bas", 3)
    report["inspect"] = shell("inspect", "base", 2)
    run('/**\n * Scales a value.\n * @param x the value to scale\n * @param factor how much\n * @returns the scaled value\n */\nfunction scale(x: number, factor = 2): number { return x * factor; }')
    report["inspect_docs"] = shell("inspect", "scale(1)", 3, detail_level=0)
    report["is_complete"] = [shell("is_complete", c) for c in ["1 + 1", "if (true) {", "let = = ;", "%%p2p", "%%p2p\n1 + 1", "%%p2p\n1 + 1\n"]]
    report["history"] = shell("history", hist_access_type="tail", n=3)

    def interrupt_later(how):
        time.sleep(0.5)
        if how == "message":
            km.interrupt_kernel()
        else:
            os.kill(km.provisioner.process.pid, signal.SIGINT)

    report["interrupts"] = []
    for code in ["while (true) {}", "await new Promise(() => {})"]:
        for how in ["message", "signal"]:
            threading.Thread(target=interrupt_later, args=(how,)).start()
            started = time.time()
            r = run(code)
            report["interrupts"].append({"code": code, "how": how, "seconds": time.time() - started, "status": r["reply"]["status"], "ename": r["reply"].get("ename")})
    report["after_interrupt"] = run("base + 1")
    report["alive_before_shutdown"] = km.is_alive()
finally:
    km.shutdown_kernel(now=False)
    report["alive_after_shutdown"] = km.is_alive()
    kc.stop_channels()

json.dump(report, sys.stdout)
