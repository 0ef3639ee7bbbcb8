#!/usr/bin/env python3
"""PyTorch as a peer of `./engine compare` (dev.kengine.bench.peer.Peer starts it, one process per thread count).

It speaks the line protocol of dev.kengine.bench.peer.Protocol on stdin/stdout: first "ready<TAB>version=..." (or
"unavailable<TAB>reason=..." and exit status 3 when torch cannot be imported), then one reply per request line:
"ok<TAB>runs=R<TAB>seconds=s1,s2,..." or "error<TAB>message=...". Inputs and outputs are little-endian float32
(int32 for labels) files named by the request.

The thread count is the environment's OMP_NUM_THREADS (the report sets it, with OMP_WAIT_POLICY=PASSIVE), applied with
torch.set_num_threads. Timing as dev.kengine.bench.peer.PeerTiming: a warm-up of at least 3 runs and the plan's warm-up
time, then repetitions of R runs each timed with time.perf_counter around the R runs; the report takes the median.
"""
import math
import os
import sys
import time


def say(kind, **fields):
    parts = [kind] + ["%s=%s" % (k, str(v).replace("\t", " ").replace("\n", " ")) for k, v in fields.items()]
    sys.stdout.write("\t".join(parts) + "\n")
    sys.stdout.flush()


def main():
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except Exception as e:  # ImportError, or a broken installation
        say("unavailable", reason="no torch in %s (%s: %s)" % (sys.executable, type(e).__name__, e))
        return 3
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    say("ready", version="torch %s, numpy %s, python %s" % (torch.__version__, np.__version__, sys.version.split()[0]),
        threads=torch.get_num_threads(), parallel=torch.__config__.parallel_info().splitlines()[-1].strip())

    def load(path, dims, dtype="<f4"):
        a = np.fromfile(path, dtype=dtype)
        return torch.from_numpy(a.reshape(dims).copy())

    def save(path, *tensors):
        with open(path, "wb") as f:
            for t in tensors:
                f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())

    def measure(fn, req):
        warmup = float(req["warmup"])
        reps = int(req["reps"])
        minrep = float(req["minrep"])
        maxs = float(req["maxs"])
        cap = max(warmup * 4, maxs)
        begin = time.perf_counter()
        best = float("inf")
        warm = 0
        while True:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            warm += 1
            elapsed = time.perf_counter() - begin
            if (warm >= 3 and elapsed >= warmup) or elapsed >= cap:
                break
        runs = int(max(1, min(1000000, math.ceil(minrep / max(best, 1e-9)))))
        reps = int(max(3, min(reps, maxs / max(best * runs, 1e-9))))
        seconds = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(runs):
                fn()
            seconds.append((time.perf_counter() - t0) / runs)
        return runs, seconds

    activations = {
        "relu": lambda x, p, out: out.copy_(F.relu(x)),
        "sigmoid": lambda x, p, out: torch.sigmoid(x, out=out),
        "tanh": lambda x, p, out: torch.tanh(x, out=out),
        "gelu": lambda x, p, out: out.copy_(F.gelu(x)),
        "gelu_tanh": lambda x, p, out: out.copy_(F.gelu(x, approximate="tanh")),
        "silu": lambda x, p, out: out.copy_(F.silu(x)),
        "softplus": lambda x, p, out: out.copy_(F.softplus(x)),
        "elu": lambda x, p, out: out.copy_(F.elu(x, p)),
        "leaky_relu": lambda x, p, out: out.copy_(F.leaky_relu(x, p)),
    }
    # The forms that write into a preallocated output without a copy where PyTorch has one.
    inplace = {
        "relu": lambda x, p, out: torch.clamp(x, min=0, out=out),
        "gelu": lambda x, p, out: torch._C._nn.gelu(x, out=out),
        "gelu_tanh": lambda x, p, out: torch._C._nn.gelu(x, approximate="tanh", out=out),
        "silu": lambda x, p, out: torch._C._nn.silu(x, out=out),
        "softplus": lambda x, p, out: torch._C._nn.softplus(x, 1, 20, out=out),
        "elu": lambda x, p, out: torch._C._nn.elu(x, p, 1, 1, out=out),
        "leaky_relu": lambda x, p, out: torch._C._nn.leaky_relu(x, p, out=out),
    }

    def run(req):
        op = req["op"]
        files = req.get("in", "").split(",")
        if op == "sgemm":
            m, n, k = int(req["m"]), int(req["n"]), int(req["k"])
            a, b = load(files[0], (m, k)), load(files[1], (k, n))
            c = torch.empty(m, n)
            fn = lambda: torch.mm(a, b, out=c)
            fn()
            out = [c]
        elif op == "act":
            n = int(req["n"])
            kind, p = req["act"], float(req.get("param", "0"))
            x = load(files[0], (n,))
            y = torch.empty(n)
            f = inplace.get(kind, activations[kind])
            try:
                f(x, p, y)
            except Exception:
                f = activations[kind]
                f(x, p, y)
            fn = lambda: f(x, p, y)
            out = [y]
        elif op == "softmax_ce":
            rows, classes = int(req["rows"]), int(req["classes"])
            logits = load(files[0], (rows, classes))
            labels = load(files[1], (rows,), "<i4").long()
            state = {}

            def ce():
                with torch.enable_grad():
                    z = logits.detach().requires_grad_(True)
                    loss = F.cross_entropy(z, labels)
                    loss.backward()
                state["loss"], state["grad"] = loss, z.grad
            fn = ce
            fn()
            out = None
        elif op == "train":
            layers = [int(v) for v in req["layers"].split(",")]
            batch, steps, lr = int(req["batch"]), int(req["steps"]), float(req["lr"])
            x = load(files[0], (batch, layers[0]))
            labels = load(files[1], (batch,), "<i4").long()
            mods = []
            for i in range(len(layers) - 1):
                lin = torch.nn.Linear(layers[i], layers[i + 1])
                w = load(files[2 + 2 * i], (layers[i], layers[i + 1]))  # the engine's [in, out]
                b = load(files[3 + 2 * i], (layers[i + 1],))
                lin.weight.data.copy_(w.t())
                lin.bias.data.copy_(b)
                mods.append(lin)
                if i + 2 < len(layers):
                    mods.append(torch.nn.ReLU())
            model = torch.nn.Sequential(*mods)
            opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)

            def step():
                with torch.enable_grad():
                    opt.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(model(x), labels)
                    loss.backward()
                    opt.step()
                return loss
            losses = [step().item() for _ in range(steps)]
            fn = step
            out = [torch.tensor(losses, dtype=torch.float32)]
        else:
            raise ValueError("unknown op '%s'" % op)
        if op == "softmax_ce":
            save(req["out"], state["loss"].reshape(1), state["grad"])
        else:
            save(req["out"], *out)
        runs, seconds = measure(fn, req)
        return runs, seconds

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        parts = line.split("\t")
        if parts[0] == "quit":
            break
        try:
            req = dict(p.split("=", 1) for p in parts[1:])
            runs, seconds = run(req)
            say("ok", runs=runs, seconds=",".join("%.9e" % s for s in seconds))
        except Exception as e:
            say("error", message="%s: %s" % (type(e).__name__, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
