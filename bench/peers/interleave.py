"""Interleaved rounds of Gesso's and PyTorch's layer benchmarks, medians per layer, ratios.

This machine's timings drift by about 30% from minute to minute, so one run of each side is not a fair
comparison. This alternates `gesso bench ops` and `torch_layers.py` for --rounds rounds (each already the
median of its own repeats), then reports the median over rounds for each layer and the ratio
Gesso / PyTorch (below 1: Gesso is faster).

    swift build -c release
    python3 bench/peers/interleave.py --rounds 5 [--only lecture] [--markdown docs/bench-table.md]
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()
    gesso_bin = ROOT / ".build/release/gesso"
    if not gesso_bin.exists():
        sys.exit("build Gesso first: swift build -c release")
    results = {"gesso": {}, "torch": {}}
    shapes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for side in ("gesso", "torch"):
                out = Path(tmp) / f"{side}-{r}.json"
                only = ["--only", args.only] if args.only else []
                if side == "gesso":
                    run([str(gesso_bin), "bench", "ops", "--json", str(out), "--repeats", str(args.repeats)] + only)
                else:
                    run([sys.executable, str(ROOT / "bench/peers/torch_layers.py"), "--json", str(out),
                         "--repeats", str(args.repeats)] + only)
                for row in json.loads(out.read_text()):
                    results[side].setdefault(row["name"], []).append(row)
                    if "shape" in row:
                        shapes[row["name"]] = row["shape"]
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    import torch
    lines = [f"Interleaved {args.rounds} rounds (each the median of {args.repeats} runs), medians over rounds; "
             f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, fp32, forward + backward.", "",
             "| layer | Gesso ms | Gesso GFLOP/s | PyTorch ms | PyTorch GFLOP/s | Gesso / PyTorch |",
             "|---|---|---|---|---|---|"]
    for name, rows in results["gesso"].items():
        g_ms = statistics.median(x["ms"] for x in rows)
        g_gf = statistics.median(x["gflops"] for x in rows)
        trows = results["torch"].get(name)
        if not trows:
            continue
        t_ms = statistics.median(x["ms"] for x in trows)
        t_gf = statistics.median(x["gflops"] for x in trows)
        gf = lambda v: f"{v:.1f}" if v > 0 else "-"
        lines.append(f"| {name} | {g_ms:.2f} | {gf(g_gf)} | {t_ms:.2f} | {gf(t_gf)} | {g_ms / t_ms:.2f} |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")


if __name__ == "__main__":
    main()
