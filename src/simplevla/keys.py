"""The observation / batch key names shared by env, dataset and policy (see the README's data table)."""

from __future__ import annotations

IMAGE = "observation.image"  # uint8 (H, W, 3) on disk and from env; float (B, 3, H, W) in [0, 1] in a batch
STATE = "observation.state"  # float32 (S,): effector position in table units
ACTION = "action"  # float32 (A,) env units; a batch holds (B, chunk_size, A)
ACTION_IS_PAD = "action_is_pad"  # bool (B, chunk_size): True past the episode's end
TASK = "task"  # str; a batch holds list[str] of length B
TASK_INDEX = "task_index"  # int64
PARSE_TEXTS = "aux.parse_texts"  # list[str]: instructions for the parse head (training batches only)
PARSE_LABELS = "aux.parse_labels"  # int64 (P, 7): what each of them names, per slot (envs.reading.SLOTS)
TASK_XY = "aux.task_xy"  # float32 (4,) or (6,): the columns TASK_XY_NAMES, table units; training-only
# aux.task_xy's columns: the task object, its goal, and the object the instruction names beside it (Tabletop's
# push_next_to and separate; the task object itself elsewhere). Meta-World stores the first 4.
TASK_XY_NAMES = ("obj_x", "obj_y", "goal_x", "goal_y", "ref_x", "ref_y")
SUCCESS = "next.success"
DONE = "next.done"
REWARD = "next.reward"

# Bookkeeping columns of a LeRobotDataset v3 data file.
INDEX = "index"
EPISODE_INDEX = "episode_index"
FRAME_INDEX = "frame_index"
TIMESTAMP = "timestamp"

# Env observation keys (Gymnasium side) and the dataset keys they map to.
ENV_PIXELS = "pixels"
ENV_AGENT_POS = "agent_pos"
ENV_TO_DATASET = {ENV_PIXELS: IMAGE, ENV_AGENT_POS: STATE}
