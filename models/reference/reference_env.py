"""Imports for the reference harness: CPU torch + torchvision transforms + FlagEmbedding's visual_bge.

torchvision's C ops cannot load beside the CPU torch wheel here; its transforms are pure Python, so the
two op schemas torchvision registers at import are defined first and its import succeeds.
"""
import sys

import torch

_lib = None


def import_torchvision():
    global _lib
    if _lib is None:
        try:
            _lib = torch.library.Library("torchvision", "DEF")
            _lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            _lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        except RuntimeError:  # torchvision's own ops loaded (a CUDA build): nothing to define
            pass
    import torchvision

    return torchvision


def import_visual_bge(flag_embedding_visual_bge: str):
    """`flag_embedding_visual_bge` is FlagEmbedding's research/visual_bge folder (it holds the visual_bge package)."""
    import_torchvision()
    if flag_embedding_visual_bge not in sys.path:
        sys.path.insert(0, flag_embedding_visual_bge)
    import visual_bge.modeling as modeling
    from visual_bge.eva_clip import factory

    return modeling, factory
