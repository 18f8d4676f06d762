"""wxplan engine: pure Python (never imports streamlit).

>>> from engine import recommend
>>> rec = recommend({...profile...}, as_of="2026-11-21", seed=0)
"""

from engine.assumptions import AssumptionSet
from engine.assumptions import load as load_assumptions
from engine.errors import AssumptionError, InputError
from engine.profile import MODULES, MerchantProfile
from engine.recommend import recommend
from engine.render.html import to_html
from engine.render.markdown import to_markdown
from engine.result import Recommendation

__all__ = [
    "MODULES",
    "AssumptionError",
    "AssumptionSet",
    "InputError",
    "MerchantProfile",
    "Recommendation",
    "load_assumptions",
    "recommend",
    "to_html",
    "to_markdown",
]
