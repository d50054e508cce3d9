"""SpiffWorkflow integration for MAPPA Flow.

Nothing here imports Flask or the database: the engine layer can be driven from a plain script or test.
The services layer persists what this layer produces.
"""

from workflows.engine import Engine, EngineError, StepResult, UserTaskInfo
from workflows.registry import ModelError, ModelRegistry, ParsedModel

__all__ = ["Engine", "EngineError", "ModelError", "ModelRegistry", "ParsedModel", "StepResult", "UserTaskInfo"]
