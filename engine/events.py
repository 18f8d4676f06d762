"""Dated platform events the model and the rules refer to, each backed by the article lines cited beside it.

They sit next to the source registry (:mod:`engine.sources`) because a date is evidence, not logic: a rule or
a module fact that depends on one names it from here.
"""

from __future__ import annotations

from datetime import date

SHIPPING_INSURANCE = date(2023, 6, 1)  # shipping insurance for Channels shops, then creator tools (003:10)
LINK_REORG = date(2024, 5, 28)  # 视频号 e-commerce moved under 微信开放平台; 小程序 linkable (003:5, 003:17)
GROWTH_GRADES = date(2024, 5, 29)  # growth grades for creators' product windows (003:11)
SHOP_RENAME = date(2024, 8, 1)  # 视频号小店 renamed 微信小店 and sold across WeChat (001:19, 004:4, 004:26)
GIFTING = date(2024, 12, 1)  # 送礼 launched (004:4, 004:27)
DAIHUOREN = date(2025, 2, 1)  # 带货人 upgrade reported "recently" in early 2025 (004:5)
