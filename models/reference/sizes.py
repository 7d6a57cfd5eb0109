"""The two sizes the harness builds: `full` is the true base architecture; `tiny` keeps every layer type
and the sequence layout (196 image tokens, 512 positions, the full vocabularies) with less depth and width."""

BERT_BASE = dict(
    vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
    hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=512,
    type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
)

# openai/clip-vit-base-patch32's config.json
CLIP_B32 = dict(
    projection_dim=512,
    logit_scale_init_value=2.6592,
    text_config=dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8,
                     max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, bos_token_id=49406,
                     eos_token_id=49407, pad_token_id=1),
    vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=224,
                       patch_size=32, hidden_act="quick_gelu", layer_norm_eps=1e-5),
)

SIZES = {
    "full": dict(
        bert={},
        eva={},  # EVA02-CLIP-B-16 as FlagEmbedding ships it
        clip_text={}, clip_vision={}, clip_projection=512,
    ),
    "tiny": dict(
        bert=dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32),
        eva=dict(width=16, layers=2, head_width=8),
        clip_text=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2),
        clip_vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2),
        clip_projection=16,
    ),
}
