"""The checkpoint bench:seed runs on both sides: FlagEmbedding's own Visualized_BGE (true architecture,
EVA02-CLIP-B/16 + BERT-base) with seeded random weights, saved as the `Visualized_base_en_v1.5.pth` state
dict users download, and that same file exported into an mmrag model folder by the project's export script.

When the reference harness (models/reference) is present, its builder is used, so bench:seed and the parity
report run on the same checkpoint; otherwise the minimal builder below does the same job.
Random weights: speed only, nothing here says anything about retrieval quality.
"""
import contextlib
import importlib.util
import json
import math
import pathlib
import shutil
import sys

import torch

REPO = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = REPO / "models" / "reference"
SEED = 16
BERT_BASE = dict(
    architectures=["BertModel"], model_type="bert", vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
    intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=512,
    type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
)


def harness():
    """models/reference's vbge_checkpoint module, or None when this checkout does not have it."""
    if not (REFERENCE / "vbge_checkpoint.py").exists():
        return None
    sys.path.insert(0, str(REFERENCE))
    import vbge_checkpoint

    return vbge_checkpoint


def import_visual_bge(flag_embedding):
    """torchvision's C ops cannot load beside the CPU torch wheel; its transforms are pure Python, so the two
    op schemas it registers at import are defined first."""
    try:
        lib = torch.library.Library("torchvision", "DEF")
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import_visual_bge.lib = lib  # keep the definitions alive
    except RuntimeError:
        pass
    if flag_embedding not in sys.path:
        sys.path.insert(0, flag_embedding)
    import visual_bge.modeling as modeling

    return modeling


@contextlib.contextmanager
def skip_weight_loading(modeling):
    saved = modeling.Visualized_BGE.load_model
    modeling.Visualized_BGE.load_model = lambda self, weight: None
    try:
        yield
    finally:
        modeling.Visualized_BGE.load_model = saved


def build_checkpoint(flag_embedding, work):
    """(bge_folder, weights): a local stand-in for BAAI/bge-base-en-v1.5's config + tokenizer, and the state dict."""
    reference = harness()
    if reference:
        return reference.build_checkpoint(flag_embedding, "full", SEED, work)
    bge_folder = work / "bge-base-en-v1.5"
    bge_folder.mkdir(parents=True, exist_ok=True)
    (bge_folder / "config.json").write_text(json.dumps(BERT_BASE, indent=2))
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(REPO / "models" / "tokenizers" / "bert-base-uncased" / name, bge_folder / name)
    modeling = import_visual_bge(flag_embedding)
    with skip_weight_loading(modeling):
        model = modeling.Visualized_BGE(model_name_bge="BAAI/bge-base-en-v1.5", model_weight="(random)", from_pretrained=str(bge_folder))
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if p.dim() >= 2:
                fan_in = math.prod(p.shape[1:]) if p.dim() == 4 else p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
            elif name.endswith("weight") and ("norm" in name.lower() or "ln" in name.lower()):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    weights = work / "Visualized_base_en_v1.5.pth"
    torch.save(model.state_dict(), weights)
    return bge_folder, weights


def load_model(flag_embedding, bge_folder, weights):
    """The model exactly as a user builds it (research/visual_bge's README), in eval mode on the CPU."""
    reference = harness()
    if reference:
        return reference.load_reference(flag_embedding, "full", bge_folder, weights)
    modeling = import_visual_bge(flag_embedding)
    model = modeling.Visualized_BGE(model_name_bge="BAAI/bge-base-en-v1.5", model_weight=str(weights), from_pretrained=str(bge_folder))
    return model.eval()


def export_folder(flag_embedding, bge_folder, weights, out):
    """The same weights exported by models/visualized-bge/export_onnx.py into an mmrag model folder."""
    script = REPO / "models" / "visualized-bge" / "export_onnx.py"
    import_visual_bge(flag_embedding)
    spec = importlib.util.spec_from_file_location("vbge_export", script)
    export = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export)
    if hasattr(export, "export"):  # the reference harness's version of the script
        if hasattr(export, "import_visualized_bge"):
            export.import_visualized_bge(flag_embedding)
        return export.export(load_model(flag_embedding, bge_folder, weights), out, bge_folder)
    # An older script: run its command line. Its own ONNX-vs-PyTorch check compares against the module
    # torch.onnx.export leaves altered (issue 16) and may exit; the graphs it wrote are right, so the
    # manifest is written here from the committed one.
    import runpy

    saved = sys.argv
    sys.argv = [str(script), "--weights", str(weights), "--bge", str(bge_folder), "--out", str(out)]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as stop:
        print(f"export_onnx.py exited: {stop}", file=sys.stderr)
    finally:
        sys.argv = saved
    if not (out / "composed.onnx").exists() or not (out / "text.onnx").exists() or not (out / "tokenizer.json").exists():
        raise SystemExit(f"export_onnx.py did not write its graphs into {out}")
    if not (out / "model.json").exists():
        manifest = json.loads((REPO / "models" / "visualized-bge-base-en-v1.5" / "model.json").read_text())
        manifest.update({"name": out.name, "description": "bench:seed: random-weight Visualized-BGE (true architecture). NOT a real model."})
        (out / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def main():
    import argparse

    parser = argparse.ArgumentParser(description="Build the bench:seed checkpoint and its mmrag model folder.")
    parser.add_argument("--flag-embedding", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    weights = work / "Visualized_base_en_v1.5.pth"
    bge_folder = work / "bge-base-en-v1.5"
    if not weights.exists():
        bge_folder, weights = build_checkpoint(args.flag_embedding, work)
    folder = work / "visualized-bge-seed"
    if not (folder / "model.json").exists():
        export_folder(args.flag_embedding, bge_folder, weights, folder)
    print(json.dumps({"bgeFolder": str(bge_folder), "weights": str(weights), "modelFolder": str(folder)}))


if __name__ == "__main__":
    main()
