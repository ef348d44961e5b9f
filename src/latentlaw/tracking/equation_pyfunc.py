"""MLflow models-from-code entry point of the equation model (see tracking.ui.EquationModel).

Logged as code rather than a pickled object, so loading the model unpickles nothing.
"""

import mlflow

from latentlaw.tracking.ui import EquationModel

mlflow.models.set_model(EquationModel())
