#!/usr/bin/env bash
# Multi-process evaluation, the MMSeg way: torchrun + mmengine's pytorch launcher.
#
#   bash tools/dist_test.sh CONFIG N [tools/test.py args...]
#   bash tools/dist_test.sh configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py 8
#   PORT=29512 bash tools/dist_test.sh CONFIG 2 --device cpu      # N CPU processes, gloo
#
# One process per GPU (nccl), or N CPU processes (gloo) with --device cpu. mmengine's sampler
# splits the data set between the processes; the metric is gathered on rank 0, which writes
# results.json / results.md exactly as a single-process run does (same numbers).
# Env: PORT (29500), NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PYTHON (python).
#
# CPU: mmengine 0.10's pytorch launcher calls torch.cuda.set_device() and wraps the model in DDP
# with device_ids=[local_rank], both of which fail without a GPU. For --device cpu this script
# therefore starts the gloo process group itself before tools/test.py runs (mmengine then skips
# its own init) and passes model_wrapper_cfg.device_ids=None (DDP on CPU modules).
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: bash tools/dist_test.sh CONFIG NUM_PROCESSES [tools/test.py args...]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
shift 2
if ! [[ "$NPROC" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: NUM_PROCESSES must be a positive integer, got '$NPROC'" >&2
    exit 2
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"

# --device cpu (or cpu:N)?
CPU=0
ARGS=("$@")
for ((i = 0; i < ${#ARGS[@]}; i++)); do
    case "${ARGS[$i]}" in
        --device) [[ "${ARGS[$((i + 1))]:-}" == cpu* ]] && CPU=1 ;;
        --device=cpu*) CPU=1 ;;
    esac
done

RUN=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="$PORT"
     --nproc_per_node="$NPROC")

if [ "$CPU" = 0 ]; then
    exec "$PYTHON" -m torch.distributed.run "${RUN[@]}" "$TOOLS/test.py" "$CONFIG" --launcher pytorch "$@"
fi

# CPU / gloo: add the DDP option to the user's --cfg-options (or a new one), start gloo first.
WRAP=(model_wrapper_cfg.type=MMDistributedDataParallel model_wrapper_cfg.device_ids=None)
OUT=()
ADDED=0
for a in "$@"; do
    OUT+=("$a")
    if [ "$a" = "--cfg-options" ] && [ "$ADDED" = 0 ]; then
        OUT+=("${WRAP[@]}")
        ADDED=1
    fi
done
[ "$ADDED" = 0 ] && OUT+=(--cfg-options "${WRAP[@]}")

BOOT='import runpy, sys
import torch.distributed as dist
if not dist.is_initialized():
    dist.init_process_group(backend="gloo")  # env:// from torchrun; mmengine then skips init_dist
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")'

exec "$PYTHON" -m torch.distributed.run "${RUN[@]}" --no-python "$PYTHON" -c "$BOOT" \
    "$TOOLS/test.py" "$CONFIG" --launcher pytorch "${OUT[@]}"
