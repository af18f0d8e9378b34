"""The existing Triton client, unchanged: one 384x384 image per request as KServe v2 JSON.

Usage: python3 examples/client.py [URL] [--threads N] [--pixels FILE.f32]
It needs numpy and requests. Point URL at the backend (:8000) or the gateway (:8080, with SIGLIP_API_KEY set).
"""
import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests


def embed(url, pixel_values, headers):
    payload = {
        "inputs": [
            {
                "name": "PIXEL_VALUES",
                "shape": [1, 3, 384, 384],
                "datatype": "FP32",
                "data": pixel_values.flatten().tolist(),
            }
        ]
    }
    r = requests.post(f"{url}/v2/models/siglip_vision/infer", json=payload, headers=headers, timeout=120)
    r.raise_for_status()
    return np.array(r.json()["outputs"][0]["data"], dtype=np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pixels", help="float32 file of [N,3,384,384] pixel values; random if absent")
    args = ap.parse_args()
    headers = {}
    if os.environ.get("SIGLIP_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['SIGLIP_API_KEY']}"
    if args.pixels:
        images = np.fromfile(args.pixels, dtype="<f4").reshape(-1, 3, 384, 384)
    else:
        images = np.random.default_rng(0).normal(0.5, 0.5, (1, 3, 384, 384)).astype(np.float32)
    jobs = [images[i % len(images)] for i in range(args.threads)]
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        results = list(pool.map(lambda px: embed(args.url, px, headers), jobs))
    json.dump({"count": len(results), "dim": int(results[0].shape[0]), "embeddings": [r.tolist() for r in results]}, sys.stdout)


if __name__ == "__main__":
    main()
