"""LoRA adapters over the ROM model (docs/arithmetic.md, "LoRA adapters"; docs/rtl.md, "LoRA adapter unit").

An adapter is a Hugging Face PEFT LoRA directory (``adapter_config.json`` + ``adapter_model.safetensors``)
for the base checkpoint. For a target matrix W it adds ``(alpha/r) B A x``; the chip holds the adapter
in SRAM, loaded over the bus, and applies it to the requantized output stream of the target's product.

    peft         reading a PEFT directory in float (checked against the base), the merged float model
    arithmetic   the integer arithmetic (lora_u, lora_add): the spec the golden model and RTL benches share
    sram_image   the SRAM layout, the word image, its checksum and the bus writes that load it
    int_adapter  IntAdapter: the golden model's hook, the image of it and back, random adapters for tests
    calibration  float adapter -> IntAdapter for one base build (calibrated u scales)
    compile      the build directory: adapter.hex + manifest.json, and loading it back
    evaluation   the loss table (base / adapter float / adapter integer / full fine-tune)

The timing of rf_lora (`adapter_cycles`, LORA_PIPE, ...) lives with the rest of the schedule
(sim_models/schedule.py); the matrix order and phases in sim_models/hardware.py. Command line:
``python -m sim_models adapter ...`` and ``python -m sim_models adapter-eval ...``.
"""
from __future__ import annotations

from ..formats import quantize_rows  # A and B rows are int8 like the base weights
from ..hardware import (
    MATRICES as CORE_ORDER,  # a matrix's bit in the build's TARGETS mask
    PHASES,
    RANK_CHOICES,
    mat_shape,
)
from ..schedule import LORA_PIPE, LORA_START, LORA_STREAM, adapter_cycles
from .arithmetic import QLora, lora_add, lora_u
from .calibration import adapter_calibration, calibrate_adapter, parse_targets, quantize_adapter
from .compile import DEFAULT_RANK_MAX, IMAGE_VERSION, adapter_manifest, compile_adapter, load_adapter
from .errors import AdapterError
from .evaluation import eval_losses
from .int_adapter import IntAdapter, from_image, random_adapter
from .peft import CORE_TO_PEFT, PEFT_GROUP, PEFT_TO_CORE, PeftAdapter, merged_checkpoint, read_peft
from .sram_image import a_stride, bus_load_writes, image_hash, image_layout, sram_bits

__all__ = [
    "CORE_ORDER", "PHASES", "RANK_CHOICES", "mat_shape", "LORA_PIPE", "LORA_START", "LORA_STREAM", "adapter_cycles",
    "QLora", "lora_add", "lora_u", "quantize_rows",
    "adapter_calibration", "calibrate_adapter", "parse_targets", "quantize_adapter",
    "DEFAULT_RANK_MAX", "IMAGE_VERSION", "adapter_manifest", "compile_adapter", "load_adapter",
    "AdapterError", "eval_losses", "IntAdapter", "from_image", "random_adapter",
    "CORE_TO_PEFT", "PEFT_GROUP", "PEFT_TO_CORE", "PeftAdapter", "merged_checkpoint", "read_peft",
    "a_stride", "bus_load_writes", "image_hash", "image_layout", "sram_bits",
]
