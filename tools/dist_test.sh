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
# (On CPU, tools/test.py starts the gloo process group itself: see _init_cpu_distributed.)
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

exec "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" --nproc_per_node="$NPROC" "$TOOLS/test.py" "$CONFIG" --launcher pytorch "$@"
