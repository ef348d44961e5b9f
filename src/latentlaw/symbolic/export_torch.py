"""Trees as torch modules whose constants are trainable parameters (torch imported lazily)."""

from __future__ import annotations

from typing import Any

from latentlaw.symbolic.expression import Node


def to_torch(node: Node) -> Any:
    """A ``torch.nn.Module`` mapping a (n, d) tensor to the (n,) values of the expression."""
    import torch

    class SymbolicModule(torch.nn.Module):
        def __init__(self, tree: Node) -> None:
            super().__init__()
            self.tree = tree.copy()
            consts = self.tree.constants()
            self.constants = torch.nn.Parameter(torch.tensor([c.value for c in consts], dtype=torch.float64))
            self._slot = {id(c): i for i, c in enumerate(consts)}

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            out = self._eval(self.tree, X)
            return out.expand(X.shape[0]) if out.dim() == 0 else out

        def _eval(self, n: Node, X: torch.Tensor) -> torch.Tensor:
            if n.op is None:
                if n.feature >= 0:
                    return X[:, n.feature]
                return self.constants[self._slot[id(n)]].to(X.dtype)
            args = [self._eval(c, X) for c in n.children()]
            return _TORCH[n.op.name](*args)

        def extra_repr(self) -> str:
            return repr(self.tree)

    return SymbolicModule(node)


def _torch_ops() -> dict[str, Any]:
    import torch

    return {
        "+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "^": torch.pow,
        "sqrt": torch.sqrt, "square": torch.square, "cube": lambda a: a * a * a, "sin": torch.sin,
        "cos": torch.cos, "exp": torch.exp, "log": torch.log, "neg": torch.neg, "abs": torch.abs,
        "asin": torch.asin, "acos": torch.acos, "atan": torch.atan, "tanh": torch.tanh,
    }


class _LazyOps(dict):
    def __missing__(self, key: str) -> Any:
        self.update(_torch_ops())
        return dict.__getitem__(self, key)


_TORCH: dict[str, Any] = _LazyOps()
