"""CLIP ViT-B/32 of the true architecture (transformers' CLIPModel from openai/clip-vit-base-patch32's config)
with seeded random weights, saved as the Hugging Face folder users have."""
import json
import pathlib
import shutil

from random_weights import randomise
from reference_env import import_torchvision
from sizes import CLIP_B32, SIZES

REPO = pathlib.Path(__file__).resolve().parents[2]
CLIP_TOKENIZER = REPO / "models" / "tokenizers" / "clip"

# openai/clip-vit-base-patch32's preprocessor_config.json
PREPROCESSOR = {
    "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True, "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224,
}


def build_checkpoint(size: str, seed: int, work: pathlib.Path) -> pathlib.Path:
    import_torchvision()
    from transformers import CLIPConfig, CLIPModel

    folder = work / "clip-vit-base-patch32"
    s = SIZES[size]
    config = json.loads(json.dumps(CLIP_B32))
    config["text_config"].update(s["clip_text"])
    config["vision_config"].update(s["clip_vision"])
    config["projection_dim"] = s["clip_projection"]
    model = CLIPModel(CLIPConfig(**config))
    randomise(model, seed, round_bf16=size == "tiny")
    model.save_pretrained(str(folder))
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2))
    shutil.copy(CLIP_TOKENIZER / "tokenizer.json", folder / "tokenizer.json")
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "bos_token": "<|startoftext|>",
                                                             "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, indent=2))
    return folder


def load_reference(folder: pathlib.Path):
    """Model, PIL image processor and tokenizer, as a user of transformers loads them."""
    import_torchvision()
    from transformers import AutoTokenizer, CLIPImageProcessor, CLIPImageProcessorPil, CLIPModel

    model = CLIPModel.from_pretrained(str(folder)).eval()
    return model, CLIPImageProcessorPil.from_pretrained(str(folder)), CLIPImageProcessor.from_pretrained(str(folder)), AutoTokenizer.from_pretrained(str(folder))
