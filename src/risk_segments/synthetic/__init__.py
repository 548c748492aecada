"""Simulations with a known answer: the embedded default data of the project."""

from .customer_base import CustomerBaseConfig, generate_customer_base
from .seller_panel import SellerPanelConfig, generate_seller_panel

GENERATORS = {
    "seller_panel": (SellerPanelConfig, generate_seller_panel),
    "customer_base": (CustomerBaseConfig, generate_customer_base),
}

__all__ = [
    "GENERATORS",
    "CustomerBaseConfig",
    "SellerPanelConfig",
    "generate_customer_base",
    "generate_seller_panel",
]
