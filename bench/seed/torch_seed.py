#!/usr/bin/env python3
"""The seed's own pipeline, timed (bench:seed runs this; a development tool, never a runtime dependency).

  (a) the notebook's loop: FlagEmbedding's Visualized_BGE, `encode(image=path)` per file, then per query
      `encode(image=path, text=instruction)` and a search over the catalogue vectors;
  (b) what a careful PyTorch user writes: DataLoader-style batches of 16 through `encode_image`,
      `torch.inference_mode()`, torch threads = the machine's cores; queries one at a time under inference_mode.

The search is an exact numpy dot product over the catalogue (the notebook uses Milvus; numpy over a few
hundred vectors costs microseconds, so this favours the notebook). Prints one JSON object on stdout.

  python bench/seed/torch_seed.py --flag-embedding /path/to/FlagEmbedding/research/visual_bge \
      --bge-folder DIR --weights Visualized_base_en_v1.5.pth --images DIR --query IMAGE --queries 10
"""
import argparse
import json
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from seed_model import load_model  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def p50(xs):
    return float(np.percentile(np.array(xs), 50))


def search(catalogue, vector, k=9):
    scores = catalogue @ vector
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
    return top[np.argsort(-scores[top])]


def notebook(model, files, query, instruction, queries):
    """(a) exactly as the notebook calls it: one file at a time, torch.no_grad()."""
    with torch.no_grad():
        model.encode(image=str(files[0]))  # warm-up, as a notebook's first cell would be
        started, cpu = time.perf_counter(), time.process_time()
        catalogue = np.stack([model.encode(image=str(f)).reshape(-1).numpy() for f in files])
        images_per_s = len(files) / (time.perf_counter() - started)
        images_per_cpu_s = len(files) / (time.process_time() - cpu)
        times = []
        for _ in range(queries):
            t = time.perf_counter()
            vector = model.encode(image=str(query), text=instruction).reshape(-1).numpy()
            search(catalogue, vector)
            times.append((time.perf_counter() - t) * 1000)
    return {"imagesPerS": images_per_s, "imagesPerCpuS": images_per_cpu_s, "queryMsP50": p50(times)}, catalogue


def batched(model, files, query, instruction, queries, batch_size):
    """(b) a DataLoader over the folder (decode + preprocess_val in the loader), batches of 16, inference_mode."""
    from PIL import Image

    class Folder(torch.utils.data.Dataset):
        def __len__(self):
            return len(files)

        def __getitem__(self, i):
            return model.preprocess_val(Image.open(files[i]))

    # num_workers=0: on a 2-core machine a loader process would take a core from the model.
    loader = torch.utils.data.DataLoader(Folder(), batch_size=batch_size, num_workers=0)
    with torch.inference_mode():
        model.encode_image(next(iter(loader))[:2])  # warm-up
        started, cpu = time.perf_counter(), time.process_time()
        catalogue = np.concatenate([model.encode_image(batch).numpy() for batch in loader])
        images_per_s = len(files) / (time.perf_counter() - started)
        images_per_cpu_s = len(files) / (time.process_time() - cpu)
        prompt = model.tokenizer([instruction], return_tensors="pt", padding=True)
        times = []
        for _ in range(queries):
            t = time.perf_counter()
            pixels = model.preprocess_val(Image.open(query)).unsqueeze(0)
            vector = model.encode_mm(pixels, prompt).reshape(-1).numpy()
            search(catalogue, vector)
            times.append((time.perf_counter() - t) * 1000)
    return {"imagesPerS": images_per_s, "imagesPerCpuS": images_per_cpu_s, "queryMsP50": p50(times)}, catalogue


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flag-embedding", required=True, help="FlagEmbedding's research/visual_bge folder")
    parser.add_argument("--bge-folder", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--instruction", default="phone case with this image theme")
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    files = sorted(p for p in pathlib.Path(args.images).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    model = load_model(args.flag_embedding, pathlib.Path(args.bge_folder), pathlib.Path(args.weights))
    a, vectors_a = notebook(model, files, args.query, args.instruction, args.queries)
    b, vectors_b = batched(model, files, args.query, args.instruction, args.queries, args.batch)
    # Same model, same files: the two loops must agree (batching in PyTorch is exact up to float error).
    agreement = float((vectors_a * vectors_b).sum(axis=1).min())
    print(json.dumps({"notebook": a, "batched": b, "images": len(files), "threads": args.threads, "torch": torch.__version__, "minCosineNotebookVsBatched": agreement}))


if __name__ == "__main__":
    main()
