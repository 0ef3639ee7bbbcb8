#!/usr/bin/env python3
"""PyTorch's float32 CPU results on the inputs of `./engine accuracy`.

usage: accuracy-torch.py DIR

DIR holds manifest.json, written by dev.kengine.bench.accuracy.TorchColumn: one entry per case with
its op, parameters, inputs (little-endian float32 or int32 files in DIR, with their shapes) and the
names of its outputs. Each output is written to DIR/<id>.<name>.out.f32 (little-endian float32, in
row-major order), and DIR/status.tsv gets a first line "torch<TAB>version", then one line per case:
"<id><TAB>ok" or "<id><TAB>error<TAB>message".

Everything is computed as a PyTorch user would in float32 on the CPU with one thread: activations
through torch.nn.functional (swish with beta = 1 is F.silu, other betas x*sigmoid(beta*x)), their
backward passes by autograd from the given dy, losses by torch.nn.functional with autograd for the
gradient, and SGD and Adam/AdamW as PyTorch 1.13's _single_tensor_sgd, _single_tensor_adam and
_single_tensor_adamw write their updates (the same tensor ops, in the same order, bias corrections
in Python floats). Exit status 3 means torch (or numpy) cannot be imported here.
"""
import json
import math
import os
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = sys.argv[1]
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except Exception as e:  # ImportError, or a broken installation
        print(f"PyTorch not present: {type(e).__name__}: {e}", file=sys.stderr)
        return 3
    torch.set_num_threads(1)

    def load(spec):
        dtype = "<f4" if spec["dtype"] == "f32" else "<i4"
        a = np.fromfile(os.path.join(directory, spec["file"]), dtype=dtype).reshape(spec["dims"])
        t = torch.from_numpy(a.copy())
        return t.long() if spec["dtype"] == "i32" else t

    def activation_fn(kind, a):
        return {
            "identity": lambda x: x.clone(),
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda x: F.leaky_relu(x, a),
            "elu": lambda x: F.elu(x, a),
            "swish": (lambda x: F.silu(x)) if a == 1.0 else (lambda x: x * torch.sigmoid(a * x)),
            "softplus": F.softplus,
            "gelu": F.gelu,
            "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        }[kind]

    def activation(p, i):
        return {"y": activation_fn(p["kind"], p["param"])(i["x"])}

    def activation_backward(p, i):
        x = i["x"].clone().requires_grad_(True)
        activation_fn(p["kind"], p["param"])(x).backward(i["dy"])
        return {"dx": x.grad}

    def softmax(p, i):
        f = F.log_softmax if p["log"] else F.softmax
        return {"y": f(i["x"], dim=-1)}

    def softmax_backward(p, i):
        f = F.log_softmax if p["log"] else F.softmax
        x = i["x"].clone().requires_grad_(True)
        f(x, dim=-1).backward(i["dy"])
        return {"dx": x.grad}

    def loss(p, i):
        pred = i["p"].clone().requires_grad_(True)
        t = i["t"]
        red = p["reduction"]
        kind = p["kind"]
        if kind == "mse":
            value = F.mse_loss(pred, t, reduction=red)
        elif kind == "mae":
            value = F.l1_loss(pred, t, reduction=red)
        elif kind == "huber":
            value = F.huber_loss(pred, t, reduction=red, delta=p["delta"])
        elif kind == "binary_cross_entropy":
            value = F.binary_cross_entropy(pred, t, reduction=red)  # logs clamped at -100, as the engine's
        elif kind == "binary_cross_entropy_with_logits":
            value = F.binary_cross_entropy_with_logits(pred, t, reduction=red)
        else:
            raise ValueError(f"unknown loss {kind}")
        value.backward()
        return {"loss": value.reshape(1), "grad": pred.grad}

    def cross_entropy(p, i):
        x = i["x"].clone().requires_grad_(True)
        value = F.cross_entropy(x, i["labels"], reduction=p["reduction"])
        value.backward()
        return {"loss": value.reshape(1), "grad": x.grad}

    def sgd(p, i):
        # torch/optim/sgd.py, _single_tensor_sgd, with a momentum buffer already in the state.
        param = i["w"].clone()
        d_p = i["g"]
        weight_decay, momentum, lr, dampening = p["weight_decay"], p["momentum"], p["lr"], 0
        if weight_decay != 0:
            d_p = d_p.add(param, alpha=weight_decay)
        buf = None
        if momentum != 0:
            buf = i["v"].clone()
            buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            if p["nesterov"]:
                d_p = d_p.add(buf, alpha=momentum)
            else:
                d_p = buf
        param.add_(d_p, alpha=-lr)
        out = {"w": param}
        if buf is not None:
            out["v"] = buf
        return out

    def adam(p, i):
        # torch/optim/adam.py, _single_tensor_adam (amsgrad, maximize, capturable off), and for
        # decoupled weight decay torch/optim/adamw.py, _single_tensor_adamw.
        param, exp_avg, exp_avg_sq = i["w"].clone(), i["m"].clone(), i["v"].clone()
        grad_in = i["g"]
        lr, beta1, beta2, eps, weight_decay = p["lr"], p["beta1"], p["beta2"], p["eps"], p["weight_decay"]
        step_t = torch.tensor(float(p["first_step"] - 1))  # the state's step, a float32 tensor
        for _ in range(p["steps"]):
            grad = grad_in
            step_t += 1
            if p["decoupled"]:
                param.mul_(1 - lr * weight_decay)
            elif weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
            step = step_t.item()
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = math.sqrt(bias_correction2)
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)
        return {"w": param, "m": exp_avg, "v": exp_avg_sq}

    def reduce(p, i):
        x = i["x"]
        kind = p["kind"]
        if kind == "sum":
            r = torch.sum(x)
        elif kind == "mean":
            r = torch.mean(x)
        else:
            r = torch.linalg.vector_norm(x)
        return {"r": r.reshape(1)}

    def matmul(p, i):
        return {"c": torch.matmul(i["a"], i["b"])}

    def linear(p, i):
        # The engine's weight is [in, out]; F.linear takes [out, in].
        return {"y": F.linear(i["x"], i["w"].t(), i["b"])}

    def linear_backward(p, i):
        x = i["x"].clone().requires_grad_(True)
        w = i["w"].clone().requires_grad_(True)
        b = i["b"].clone().requires_grad_(True)
        F.linear(x, w.t(), b).backward(i["dy"])
        return {"dx": x.grad, "dw": w.grad, "db": b.grad}

    ops = {
        "activation": activation, "activation_backward": activation_backward, "softmax": softmax,
        "softmax_backward": softmax_backward, "loss": loss, "cross_entropy": cross_entropy, "sgd": sgd,
        "adam": adam, "reduce": reduce, "matmul": matmul, "linear": linear, "linear_backward": linear_backward,
    }

    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    lines = [f"torch\t{torch.__version__}"]
    for case in manifest["cases"]:
        cid = case["id"]
        try:
            inputs = {spec["name"]: load(spec) for spec in case["inputs"]}
            outputs = ops[case["op"]](case["params"], inputs)
            for name in case["outputs"]:
                t = outputs[name].detach().to(torch.float32).contiguous().reshape(-1)
                t.numpy().astype("<f4").tofile(os.path.join(directory, f"{cid}.{name}.out.f32"))
            lines.append(f"{cid}\tok")
        except Exception as e:  # reported in the table, the other cases go on
            message = f"{type(e).__name__}: {e}".replace("\n", " ").replace("\t", " ")
            lines.append(f"{cid}\terror\t{message}")
    with open(os.path.join(directory, "status.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
