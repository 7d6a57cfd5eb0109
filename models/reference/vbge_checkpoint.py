"""Visualized-BGE of the true architecture with seeded random weights, built by FlagEmbedding's own
Visualized_BGE class and saved as the `Visualized_base_en_v1.5.pth` state dict users download."""
import contextlib
import json
import pathlib
import shutil

import torch

from random_weights import randomise
from reference_env import import_visual_bge
from sizes import BERT_BASE, SIZES

REPO = pathlib.Path(__file__).resolve().parents[2]
RANDOM = "(random weights: skip loading)"
BERT_TOKENIZER = REPO / "models" / "tokenizers" / "bert-base-uncased"


def write_bge_folder(folder: pathlib.Path, size: str) -> pathlib.Path:
    """A local stand-in for BAAI/bge-base-en-v1.5's config and tokenizer files (Visualized_BGE's `from_pretrained`)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"architectures": ["BertModel"], "model_type": "bert", **BERT_BASE, **SIZES[size]["bert"]}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(BERT_TOKENIZER / name, folder / name)
    return folder


@contextlib.contextmanager
def architecture(flag_embedding: str, size: str):
    """FlagEmbedding hard-codes the base widths (EVA02-CLIP-B-16, a 768→768 visual_proj); the tiny size swaps
    them for the duration, leaving every forward path as it is."""
    modeling, factory = import_visual_bge(flag_embedding)
    eva = SIZES[size]["eva"]
    saved_cfg = factory._MODEL_CONFIGS["EVA02-CLIP-B-16"]
    saved_load = modeling.Visualized_BGE.load_model
    if eva:
        cfg = json.loads(json.dumps(saved_cfg))
        cfg["vision_cfg"].update(eva)
        factory._MODEL_CONFIGS["EVA02-CLIP-B-16"] = cfg

    def load_model(self, weight):
        width = self.bge_embeddings.word_embeddings.embedding_dim
        if self.visual_proj.in_features != width:
            self.visual_proj = torch.nn.Linear(width, width)
            self.hidden_dim, self.depth = width, len(self.bge_encoder.layer)
        if weight != RANDOM:
            saved_load(self, weight)

    modeling.Visualized_BGE.load_model = load_model
    try:
        yield modeling
    finally:
        factory._MODEL_CONFIGS["EVA02-CLIP-B-16"] = saved_cfg
        modeling.Visualized_BGE.load_model = saved_load


def load_reference(flag_embedding: str, size: str, bge_folder: pathlib.Path, weights: pathlib.Path):
    """The model exactly as a user builds it (README of research/visual_bge), in eval mode on the CPU."""
    with architecture(flag_embedding, size) as modeling:
        model = modeling.Visualized_BGE(model_name_bge="BAAI/bge-base-en-v1.5", model_weight=str(weights), from_pretrained=str(bge_folder))
    return model.eval()


def build_checkpoint(flag_embedding: str, size: str, seed: int, work: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    bge_folder = write_bge_folder(work / "bge-base-en-v1.5", size)
    weights = work / "Visualized_base_en_v1.5.pth"
    with architecture(flag_embedding, size) as modeling:
        model = modeling.Visualized_BGE(model_name_bge="BAAI/bge-base-en-v1.5", model_weight=RANDOM, from_pretrained=str(bge_folder))
    randomise(model, seed, round_bf16=size == "tiny")
    torch.save(model.state_dict(), weights)
    return bge_folder, weights
