"""Rules with evidence: small pure predicates plus data.

Each rule has an id, a bilingual label and rationale (in this project's own words), the article lines it
rests on (``FILE:LINE``), the dates it holds for, and its effects on modules: a change of fit, a
preference for a later phase (``defer``), or a note that it shapes a cost or ramp figure.

Dating: a rule fires on ``as_of`` only inside ``[valid_from, valid_until)`` and only if at least one of
its citations holds on that date. A citation holds from its article's publication date, or from an
explicit ``holds_from`` when the article documents an earlier dated event (e.g. the 2024-05-28 re-org),
until ``holds_until`` when later evidence superseded it. A feature that did not exist yet can therefore
neither fire nor be cited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from engine.events import DAIHUOREN, GIFTING, GROWTH_GRADES, LINK_REORG, SHIPPING_INSURANCE, SHOP_RENAME
from engine.i18n import Lang
from engine.profile import MODULES, MerchantProfile, Module
from engine.sources import article, parse_cite

Predicate = Callable[[MerchantProfile], bool]


@dataclass(frozen=True)
class Cite:
    ref: str
    holds_from: date | None = None
    holds_until: date | None = None

    def holds_on(self, as_of: date) -> bool:
        source, _ = parse_cite(self.ref)
        start = self.holds_from or source.published
        return start <= as_of and (self.holds_until is None or as_of < self.holds_until)


@dataclass(frozen=True)
class Effect:
    """What a rule does to one module. ``fit``: it moves the module's fit, by the size in
    ``assumptions/rules.yaml`` (``rules.effects.<rule id>.<module>``) - the direction is the evidence's, the
    size an estimate."""

    module: Module
    fit: bool = False
    defer: bool = False
    note: bool = False
    keep: bool = False
    needs_traffic: bool = False  # worth less in a plan without Channels to bring customers


def describe_effect(effect: Effect, lang: Lang, delta: float | None = None) -> list[str]:
    """What one effect does, in words (e.g. ["fit +0.15", "better in a later phase"]); ``delta`` is the size
    of its fit change (from the assumption set)."""
    from engine.i18n import t

    parts = []
    if effect.keep:
        parts.append(t("effect.keep", lang))
    if effect.fit and delta is not None and delta > 0:
        parts.append(t("effect.fit_up", lang, delta=f"{delta:.2f}"))
    if effect.fit and delta is not None and delta < 0:
        parts.append(t("effect.fit_down", lang, delta=f"{-delta:.2f}"))
    if effect.defer:
        parts.append(t("effect.defer", lang))
    if effect.note:
        parts.append(t("effect.note", lang))
    if effect.needs_traffic:
        parts.append(t("effect.needs_traffic", lang))
    return parts


@dataclass(frozen=True)
class Rule:
    id: str
    label: dict[str, str]
    rationale: dict[str, str]
    sources: tuple[Cite, ...]
    effects: tuple[Effect, ...]
    when: Predicate
    valid_from: date = date(2020, 1, 1)
    valid_until: date | None = None
    warning: bool = False
    effect_filter: Callable[[MerchantProfile, Effect], bool] | None = field(default=None)

    def in_force(self, as_of: date) -> bool:
        return self.valid_from <= as_of and (self.valid_until is None or as_of < self.valid_until)

    def sources_on(self, as_of: date) -> tuple[str, ...]:
        cached = _SOURCES_ON.get((id(self), as_of))
        if cached is not None and cached[0] is self:
            return cached[1]
        refs = tuple(c.ref for c in self.sources if c.holds_on(as_of))
        _SOURCES_ON[(id(self), as_of)] = (self, refs)
        return refs

    def text(self, lang: Lang) -> str:
        return self.rationale[lang]


# The citations of a rule that hold on a date, by (rule identity, date): the same for every profile, so a
# batch of profiles works them out once. The rule is kept alongside so an identity is never mistaken.
_SOURCES_ON: dict[tuple[int, date], tuple[Rule, tuple[str, ...]]] = {}


@dataclass(frozen=True)
class Firing:
    """A rule that fired for a profile on a date: its effects and the citations that hold then."""

    rule: Rule
    effects: tuple[Effect, ...]
    sources: tuple[str, ...]


def cites(*refs: str, since: date | None = None, until: date | None = None) -> tuple[Cite, ...]:
    """Citations of ``FILE:LINE`` references, holding from ``since`` (default: the article's publication)
    until ``until`` (default: still holding)."""
    return tuple(Cite(r, since, until) for r in refs)


def article_lines(number: str, *lines: int) -> tuple[str, ...]:
    """``FILE:LINE`` references to lines of the article numbered ``number``: ``article_lines("002", 78)``
    is ``("002_853ecfeb8b20bf2c.txt:78",)``."""
    file = article(number).file
    return tuple(f"{file}:{n}" for n in lines)


def _douyin_native(p: MerchantProfile) -> bool:
    return p.douyin_presence in ("established", "leading")


def _young_private_domain(p: MerchantProfile) -> bool:
    return p.private_domain in ("none", "basic")


def _mature_private_domain(p: MerchantProfile) -> bool:
    return p.private_domain in ("established", "advanced")


LARGE_MONTHLY_GMV_CNY = 1_000_000
LARGE_STAFF_FTE = 10
LARGE_BUDGET_MONTHLY_CNY = 100_000


def _large(p: MerchantProfile) -> bool:
    """A large merchant by size, whatever its business type (001:24 contrasts large brands or merchants with
    small and mid-sized ones): current sales when given, else team and budget."""
    if p.current_monthly_gmv_cny is not None:
        return p.current_monthly_gmv_cny >= LARGE_MONTHLY_GMV_CNY
    return p.staff_fte >= LARGE_STAFF_FTE or p.budget_monthly_cny >= LARGE_BUDGET_MONTHLY_CNY


RULES: tuple[Rule, ...] = (
    # --- what each module is (fires for everyone; gives every module at least one reason) ---------------
    Rule(
        id="channels_public_entry",
        label={"zh": "视频号是公域获客入口", "en": "Channels is the public-domain entry"},
        rationale={
            "zh": "视频号是微信里面向公域获客的入口，内容靠好友推荐扩散，公域流量占比在上升；直播卖货在微信里可行，但靠信任而不是买量。",
            "en": "Channels is WeChat's entry for reaching new customers; content spreads through friends' recommendations and the public share of its traffic is rising. Live selling works in WeChat, on trust rather than bought traffic.",
        },
        sources=cites(
            *article_lines("002", 78, 81),
            *article_lines("000", 21),
            *article_lines("001", 30),
            *article_lines("004", 22, 38),
        ),
        effects=(Effect("channels"),),
        when=lambda p: True,
    ),
    Rule(
        id="shop_official_shelf",
        label={"zh": "官方店铺是最简单的货架", "en": "The official shop is the simplest shelf"},
        rationale={
            "zh": "官方店铺开店简单，支付和店铺能力齐备，并与视频号直接打通。",
            "en": "The official shop is simple to open, has payment and storefront built in and links straight to Channels.",
        },
        sources=cites(*article_lines("002", 79), *article_lines("001", 19)),
        effects=(Effect("shop"),),
        when=lambda p: True,
    ),
    Rule(
        id="miniprogram_mature_shelf",
        label={
            "zh": "小程序商城是成熟的第三方货架",
            "en": "The mini-program mall is a mature third-party shelf",
        },
        rationale={
            "zh": "小程序商城玩法多、体系成熟，会员等私域分发能力完善；但它本身不带来新客，需要别的入口导入流量。",
            "en": "A mini-program mall offers many formats and a mature system with membership and private distribution; it does not bring new customers by itself and needs traffic from elsewhere.",
        },
        sources=cites(*article_lines("001", 14, 19), *article_lines("003", 15)),
        effects=(Effect("miniprogram"),),
        when=lambda p: True,
    ),
    Rule(
        id="wecom_official_contact",
        label={
            "zh": "企业微信为客户关系提供官方背书",
            "en": "WeCom gives customer contact an official footing",
        },
        rationale={
            "zh": "微信里的成交依赖个人信任；企业微信让商家以官方身份长期维护客户，是私域链路里发展最顺的一块。",
            "en": "Sales in WeChat rest on personal trust; WeCom lets a business hold those relationships under an official identity and is the part of the private-domain chain that has developed most smoothly.",
        },
        sources=cites(
            *article_lines("002", 60),
            *article_lines("000", 21),
            *article_lines("001", 35, 36),
            *article_lines("003", 15),
        ),
        effects=(Effect("wecom"),),
        when=lambda p: True,
    ),
    Rule(
        id="keep_running",
        label={"zh": "已在运营的模块保留", "en": "Modules already running are kept"},
        rationale={
            "zh": "已经在跑的模块是新模块可以接上的现成资产：新的获客入口接入已有链路，而不是从零开始。",
            "en": "A module that already runs is an asset new modules plug into: new acquisition is linked to the existing chain rather than started from scratch.",
        },
        sources=cites(*article_lines("001", 13), *article_lines("003", 18)),
        effects=tuple(Effect(m, keep=True) for m in MODULES),
        when=lambda p: bool(p.existing_modules),
        effect_filter=lambda p, e: e.module in p.existing_modules,
    ),
    # --- archetypes ----------------------------------------------------------------------------------
    Rule(
        id="douyin_native_easy_channels",
        label={"zh": "抖音成熟商家：视频号开店顺手", "en": "Douyin-native: opening on Channels comes easily"},
        rationale={
            "zh": "已在抖音跑通的商家把视频号当作复制成功路径的新渠道，开店是顺手的事。",
            "en": "Merchants who succeeded on Douyin treat Channels as a place to repeat that path; opening a shop there is an easy step.",
        },
        sources=cites(*article_lines("001", 11, 15)),
        effects=(Effect("channels", fit=True), Effect("shop", fit=True)),
        when=_douyin_native,
    ),
    Rule(
        id="douyin_native_heavy_asset",
        label={
            "zh": "私域链路对流量型商家是“重资产”",
            "en": "The private-domain chain is a heavy asset for traffic-minded merchants",
        },
        rationale={
            "zh": "习惯公域流量生意、没有私域经验的商家，一听要同时上小程序和企业微信意愿就明显下降；先把视频号和小店跑起来，私域模块放到后面。",
            "en": "Merchants used to buying public traffic and new to private domain visibly cool when told to add a mini-program and WeCom as well; run Channels and the shop first and bring the private-domain modules in later.",
        },
        sources=cites(*article_lines("001", 7, 15, 16)),
        effects=(Effect("miniprogram", fit=True, defer=True), Effect("wecom", fit=True, defer=True)),
        when=lambda p: _douyin_native(p) and _young_private_domain(p),
    ),
    Rule(
        id="private_domain_veteran_icing",
        label={
            "zh": "私域老玩家：视频号是锦上添花",
            "en": "Private-domain veteran: Channels is icing on the cake",
        },
        rationale={
            "zh": "视频号出现前就做微信私域的商家，产品适合二次转化；加上视频号，就有了从公域获客到私域多次转化的完整链路。",
            "en": "Merchants who ran WeChat private domain before Channels sell products that convert again and again; adding Channels gives them public acquisition feeding repeated private conversion.",
        },
        sources=cites(*article_lines("001", 12, 13, 14)),
        effects=(Effect("channels", fit=True), Effect("wecom", fit=True), Effect("miniprogram", fit=True)),
        when=_mature_private_domain,
    ),
    Rule(
        id="channels_miniprogram_linked",
        label={
            "zh": "2024 年 5 月起视频号可连到小程序",
            "en": "Since May 2024 Channels links to mini-programs",
        },
        rationale={
            "zh": "2024 年 5 月的调整把视频号小店和小程序放到同一层级，视频号的公域流量可以接入商家已有的小程序私域链路。",
            "en": "The May 2024 re-organisation put the Channels shop and mini-programs on one level, so Channels traffic can flow into a merchant's existing mini-program chain.",
        },
        sources=cites(*article_lines("003", 5, 17, 18), since=LINK_REORG),
        effects=(Effect("miniprogram", fit=True), Effect("channels", fit=True)),
        when=lambda p: (
            "miniprogram" in p.existing_modules or _mature_private_domain(p) or bool(p.shelf_platforms)
        ),
        valid_from=LINK_REORG,
    ),
    Rule(
        id="channels_miniprogram_unlinked",
        label={
            "zh": "2024 年 5 月前视频号连不到小程序",
            "en": "Before May 2024 Channels could not link to mini-programs",
        },
        rationale={
            "zh": "调整之前视频号页面不能放小程序入口，做视频号直播就得放下已有的小程序积累从零开始，这削弱了转型意愿；那时视频号只能配自己的小店。",
            "en": "Before the re-organisation a Channels page could not link a mini-program, so live selling there meant leaving the mall's accumulated customers behind and starting over; Channels could only sell through its own shop.",
        },
        sources=cites(*article_lines("003", 16), since=article("002").published, until=LINK_REORG),
        effects=(Effect("channels", fit=True),),
        when=lambda p: "miniprogram" in p.existing_modules,
        valid_until=LINK_REORG,
    ),
    # --- people, time, self-exploration ---------------------------------------------------------------
    Rule(
        id="people_not_fees",
        label={
            "zh": "人手，而不是服务费，是真正的约束",
            "en": "People, not fees, are the binding constraint",
        },
        rationale={
            "zh": "商家顾虑的不是多个模块的服务费，而是“买了之后要不要配更多人去管”；既懂业务又懂微信体系的操盘人很难找。方案按人手算账：预算能雇到的人计入成本并有招聘周期，雇不到的缺口拉长磨合期。",
            "en": "What deters merchants is less the fees than 'if I buy these, do I need more people to run them?'; operators who know both the business and the WeChat system are scarce. Plans are costed in people: hires the budget pays for are costed and take time to arrive, and a gap nobody can fill stretches the ramp.",
        },
        sources=cites(*article_lines("001", 17, 26)),
        effects=(
            Effect("wecom", note=True),
            Effect("miniprogram", note=True),
            Effect("channels", note=True),
        ),
        when=lambda p: p.staff_fte < 3,
    ),
    Rule(
        id="long_break_in",
        label={"zh": "私域模块磨合期比预期长", "en": "Private-domain modules take longer to break in"},
        rationale={
            "zh": "服务商会提供培训和定期回访，但磨合时间往往比预想的长；私域基础越弱，企业微信和小程序的上手时间估得越长。",
            "en": "Providers include training and regular follow-ups, yet the break-in period tends to run longer than expected; the weaker the private-domain base, the longer the WeCom and mini-program ramp is estimated.",
        },
        sources=cites(*article_lines("001", 18, 25)),
        effects=(Effect("wecom", note=True), Effect("miniprogram", note=True)),
        when=_young_private_domain,
    ),
    Rule(
        id="self_exploration_without_benchmarks",
        label={
            "zh": "没有可参照的案例，要自己摸索",
            "en": "No reference cases: the model has to be found alone",
        },
        rationale={
            "zh": "淘宝、京东、抖音只部署基础模块就能跑起来；微信私域要多个模块配合，适合中小商家的标杆案例又少，服务流程走完也难挑出标杆，没有私域基础的中小商家要花大量时间自己摸索。",
            "en": "Taobao, JD and Douyin run on their basic modules; WeChat private domain needs several modules working together, and benchmark cases for small and mid-sized merchants are scarce - even providers struggle to find one - so a smaller merchant without a private-domain base spends a long time exploring alone.",
        },
        sources=cites(*article_lines("001", 22, 24, 25)),
        effects=(Effect("miniprogram", fit=True), Effect("wecom", fit=True)),
        when=lambda p: not _large(p) and p.private_domain == "none",
    ),
    Rule(
        id="large_brand_patience",
        label={
            "zh": "大商家有耐心和资源探索私域",
            "en": "Large merchants can afford to explore private domain",
        },
        rationale={
            "zh": "对资源充足的大品牌或大商家，多布局一个渠道并不难，也更有耐心摸索自己的私域模式。",
            "en": "For a large, well-resourced brand or merchant, one more channel is no great burden, and it has the patience to work out its own private-domain model.",
        },
        sources=cites(*article_lines("001", 24)),
        effects=(Effect("miniprogram", fit=True), Effect("wecom", fit=True)),
        when=_large,
    ),
    # --- individuals and distributor networks ------------------------------------------------------------
    Rule(
        id="individual_channels_fit",
        label={"zh": "个体商户适合视频号直播", "en": "Individuals suit Channels live selling"},
        rationale={
            "zh": "个人在视频号直播卖货完全可行：支付和店铺都有，信任在小圈子里更容易建立，流量可以来自朋友圈、微信群和公众号。",
            "en": "Live selling on Channels is workable for an individual: payment and shop are in place, trust builds easily in small circles, and traffic comes from Moments, groups and official accounts.",
        },
        sources=cites(*article_lines("002", 76, 77, 78, 79, 80, 81)),
        effects=(Effect("channels", fit=True), Effect("shop", fit=True)),
        when=lambda p: p.business_type == "individual",
    ),
    Rule(
        id="individual_category_fit",
        label={
            "zh": "个人在教育、美妆、服饰、家居上更容易做成",
            "en": "Individuals do well in education, beauty, apparel and home",
        },
        rationale={
            "zh": "在视频号上做出成绩的个人，多见于教育、美妆、服饰和家居。",
            "en": "Individuals who have made money on Channels are mostly in education, beauty, apparel and home goods.",
        },
        sources=cites(*article_lines("002", 82)),
        effects=(Effect("channels", fit=True),),
        when=lambda p: (
            p.business_type == "individual" and p.category in ("education", "beauty", "apparel", "home")
        ),
    ),
    Rule(
        id="matrix_selling",
        label={"zh": "有分销网络：视频号矩阵卖货", "en": "Distributor network: matrix selling on Channels"},
        rationale={
            "zh": "要在视频号做出规模，路径是矩阵卖货：创始人做头部主播招募代理，再培养成百上千个个人主播统一卖同一批货；微商品牌、连锁门店和社交电商的分销人员是现成的。",
            "en": "Scale on Channels comes from matrix selling: the founder anchors and recruits agents, then hundreds or thousands of individual anchors sell the same items; 微商 brands, chains and social-commerce platforms already have the sellers.",
        },
        sources=cites(*article_lines("002", 87, 88, 90, 91)),
        effects=(Effect("channels", fit=True), Effect("shop", fit=True)),
        when=lambda p: p.business_type in ("social_commerce", "chain_store") or p.distributors >= 20,
    ),
    Rule(
        id="daihuoren_network",
        label={"zh": "带货人：分销触角延伸到整个微信", "en": "带货人: distribution reaches across WeChat"},
        rationale={
            "zh": "2025 年起，视频号带货达人可升级为微信小店带货人，在社群、公众号、服务号里卖小店商品，有分销网络的商家可以让代理直接卖小店的货。",
            "en": "From 2025 Channels sellers can become WeChat Shop 带货人 and sell shop goods in groups, official and service accounts, so a merchant with distributors can have them sell straight from the shop.",
        },
        sources=cites(*article_lines("004", 5, 28, 41)),
        effects=(Effect("shop", fit=True),),
        when=lambda p: p.distributors > 0 or p.business_type == "social_commerce",
        valid_from=DAIHUOREN,
    ),
    # --- category and gifting -------------------------------------------------------------------------
    Rule(
        id="gifting_category_fit",
        label={"zh": "送礼功能带动礼品品类", "en": "Gifting lifts gift categories"},
        rationale={
            "zh": "2024 年 12 月微信小店上线“送礼”，把社交关系直接变成交易；黄金首饰等品类借此增长很快。",
            "en": "WeChat Shop launched gifting (送礼) in December 2024, turning social ties straight into orders; categories such as gold jewellery grew fast on it.",
        },
        sources=cites(*article_lines("004", 4, 27), since=GIFTING) + cites(*article_lines("004", 51)),
        effects=(Effect("shop", fit=True),),
        when=lambda p: p.category == "jewelry",
        valid_from=GIFTING,
    ),
    Rule(
        id="light_decision_core_categories",
        label={"zh": "微信小店的核心品类是服饰、食品", "en": "Apparel and food are WeChat Shop's core"},
        rationale={
            "zh": "微信小店的主力品类仍是服饰、食品这类轻决策商品。",
            "en": "WeChat Shop's leading categories are still light-decision goods such as apparel and food.",
        },
        sources=cites(*article_lines("004", 51)),
        effects=(Effect("shop", fit=True),),
        when=lambda p: p.category in ("apparel", "food"),
    ),
    # --- goals and existing channels --------------------------------------------------------------------
    Rule(
        id="shelf_merchant_repeat",
        label={
            "zh": "货架商家在微信做复购选小程序",
            "en": "Shelf merchants seeking repeat purchase pick a mall",
        },
        rationale={
            "zh": "选择小程序商城的商家往往已有淘宝等店铺，到微信来是为了私域分销和二次转化；小程序会员和企业微信正是为此准备的。",
            "en": "Merchants who choose a mini-program mall usually already run a Taobao-style store and come to WeChat for private distribution and repeat conversion, which mall membership and WeCom are built for.",
        },
        sources=cites(*article_lines("003", 15, 16)),
        effects=(Effect("miniprogram", fit=True), Effect("wecom", fit=True)),
        when=lambda p: bool(p.shelf_platforms) and p.goal in ("repeat", "both"),
    ),
    Rule(
        id="repeat_goal_private_chain",
        label={"zh": "复购在私域里发生", "en": "Repeat purchase happens in the private domain"},
        rationale={
            "zh": "私域让商家在聊天里直接触达老客，复购几乎没有获客成本，客单价更高、退货更少；企业微信加小程序会员承载这条链路。",
            "en": "Private domain lets a merchant reach past buyers in chat, so repeat purchase costs almost nothing to acquire, with higher order values and fewer returns; WeCom plus mall membership carries that chain.",
        },
        sources=cites(*article_lines("000", 21), *article_lines("003", 34, 35), *article_lines("001", 12)),
        effects=(Effect("wecom", fit=True), Effect("miniprogram", fit=True)),
        when=lambda p: p.goal in ("repeat", "both"),
    ),
    Rule(
        id="acquisition_goal_public",
        label={"zh": "以拉新为主：先公域", "en": "Acquisition first: start in the public domain"},
        rationale={
            "zh": "目标是拉新时，视频号是微信里的公域入口，而且它的流量正从私域向公域倾斜。",
            "en": "When the goal is new customers, Channels is WeChat's public-domain entry, and its traffic is shifting from private to public domain.",
        },
        sources=cites(*article_lines("004", 22, 24)),
        effects=(Effect("channels", fit=True),),
        when=lambda p: p.goal == "acquisition",
    ),
    Rule(
        id="mall_needs_traffic",
        label={
            "zh": "小程序和企业微信自己不带来新客",
            "en": "A mall and WeCom bring no new customers by themselves",
        },
        rationale={
            "zh": "小程序商城和企业微信承接的是已有客户，自己不能获客；它们的收益按商家能触达的客户计算，没有视频号、成熟私域、货架店铺或分销网络时就很少。加上视频号，新客沉淀进私域，才构成从公域获客到私域多次转化的体系。",
            "en": "A mini-program mall and WeCom serve customers who are already there; they cannot acquire on their own. Their return is counted on the customers the merchant can reach, which is little without Channels, a mature private domain, shelf stores or a distributor network; with Channels, new buyers join the private domain and the chain from public acquisition to repeated private conversion forms.",
        },
        sources=cites(*article_lines("000", 39), *article_lines("001", 14), *article_lines("003", 18)),
        effects=(Effect("miniprogram", needs_traffic=True), Effect("wecom", needs_traffic=True)),
        # Explains the return: the mall and WeCom sell to the customers a plan can reach (engine.model).
        when=lambda p: (
            "channels" not in p.existing_modules
            and _young_private_domain(p)
            and not p.shelf_platforms
            and p.distributors < 20
        ),
    ),
    Rule(
        id="diversion_crackdown",
        label={
            "zh": "把视频号用户导去小程序成交要走官方链路",
            "en": "Channels buyers reach a mall through the official links",
        },
        rationale={
            "zh": "平台打通视频号与小程序的内部链路，同时打击劣质商家把用户引流到小程序交易的乱象；视频号流量进入商城应走官方链路，而不是私下导流。",
            "en": "The platform opened internal links between Channels and mini-programs and at the same time cracked down on low-quality merchants diverting users into mini-program checkouts; Channels traffic should reach a mall through the official links, not side channels.",
        },
        sources=cites(*article_lines("004", 43)),
        effects=(Effect("miniprogram", note=True),),
        when=lambda p: True,
        warning=True,
        valid_from=LINK_REORG,
    ),
    # --- live selling load, traffic, trust ------------------------------------------------------------
    Rule(
        id="live_after_sales_load",
        label={
            "zh": "直播带货的售后、合规和履约压力",
            "en": "Live selling brings after-sales, compliance and fulfilment load",
        },
        rationale={
            "zh": "直播带货是投诉和合规问题的重灾区，而平台的履约基础设施较弱，物流和售后主要靠商家自己；视频号方案里已计入客服人手，仍需预留售后能力。",
            "en": "Live selling is where most complaints and compliance problems arise, and the platform's fulfilment infrastructure lags, so logistics and after-sales fall on the merchant; the Channels plan counts customer-service staff, but plan for after-sales capacity.",
        },
        sources=cites(
            *article_lines("000", 25, 26, 28, 31), *article_lines("003", 24, 25), *article_lines("004", 52)
        ),
        effects=(Effect("channels", note=True),),
        when=lambda p: "channels" not in p.existing_modules,
        warning=True,
    ),
    Rule(
        id="limited_paid_traffic",
        label={"zh": "视频号买不来爆发式 GMV", "en": "Channels cannot buy GMV bursts"},
        rationale={
            "zh": "视频号的广告体系起步晚、广告加载率低，不能像抖音快手那样靠持续买量冲出爆发；方案里加热投放的回报递减，投到边际毛利不抵投入就停，习惯投流的商家要把期望放在自然和社交流量上。",
            "en": "Channels' ad system matured late and its ad load is low, so it cannot buy bursts of GMV the way Douyin and Kuaishou can; the plan's boosts have diminishing returns and stop where a yuan no longer earns a yuan of gross profit, so merchants used to paid traffic must plan on organic and social reach.",
        },
        sources=cites(*article_lines("000", 36, 37), until=article("004").published)
        + cites(*article_lines("004", 17, 18, 19)),
        # The return of paid boosts is in the model (diminishing returns); this rule only warns.
        effects=(Effect("channels", note=True),),
        when=_douyin_native,
        warning=True,
    ),
    Rule(
        id="older_audience",
        label={"zh": "视频号受众偏中老年", "en": "Channels' audience skews older"},
        rationale={
            "zh": "视频号的中老年用户较多；客群偏中老年的商家在这里更容易找到买家，微信小店同理。",
            "en": "Channels has many middle-aged and older users; merchants selling to that group find buyers there more easily, and the shop with it.",
        },
        sources=cites(*article_lines("004", 49)),
        effects=(Effect("channels", fit=True), Effect("shop", fit=True)),
        when=lambda p: p.audience_age == "older",
    ),
    Rule(
        id="young_audience",
        label={"zh": "年轻客群在视频号仍是短板", "en": "Young buyers are still Channels' gap"},
        rationale={
            "zh": "年轻化是视频号下一步的重点，说明年轻用户目前偏少；以年轻人为主的商家要预期视频号起量更慢。",
            "en": "Reaching younger users is Channels' next push, which says they are under-represented today; merchants selling mostly to the young should expect Channels to build more slowly.",
        },
        sources=cites(*article_lines("004", 49, 50)),
        effects=(Effect("channels", fit=True),),
        when=lambda p: p.audience_age == "young",
    ),
    Rule(
        id="social_trust_both_ways",
        label={"zh": "熟人信任是双刃剑", "en": "Social trust cuts both ways"},
        rationale={
            "zh": "微信里的购买建立在个人信任上，但朋友推荐的带货也可能被看作“割韭菜”，熟人电商的边界还没有定论；靠代理和熟人网络卖货时要把握分寸。",
            "en": "Purchases in WeChat rest on personal trust, yet a friend's endorsement can read as being fleeced, and where social selling should stop is unsettled; selling through agents and acquaintances needs restraint.",
        },
        sources=cites(*article_lines("002", 60, 61))
        + cites(*article_lines("001", 32, 37))
        + cites(*article_lines("004", 20, 21)),
        effects=(Effect("channels", note=True),),
        when=lambda p: p.distributors > 0 or p.business_type in ("social_commerce", "individual"),
        warning=True,
    ),
    # --- dated platform changes -----------------------------------------------------------------------
    Rule(
        id="early_trust_gaps",
        label={
            "zh": "早期视频号：没有店铺等级和分销锁佣",
            "en": "Early Channels: no shop grades, no commission-locked sharing",
        },
        rationale={
            "zh": "早期视频号直播没有店铺等级、没有分销锁佣，分享是买后、单品为主，直播入口也与视频流分开，买家自发下单的门槛高。",
            "en": "Early Channels live selling had no shop grades and no commission-locked sharing; sharing happened after purchase and for single items, and live streams sat apart from the video feed, so buyers were slow to order on their own.",
        },
        sources=cites(*article_lines("002", 40, 43, 49, 63), until=GROWTH_GRADES),
        effects=(Effect("channels", fit=True),),
        when=lambda p: True,
        valid_until=GROWTH_GRADES,
    ),
    Rule(
        id="growth_grades",
        label={"zh": "信任基础设施补齐", "en": "Trust infrastructure arrives"},
        rationale={
            "zh": "2023 年 6 月起视频号店铺有了运费险，随后是带货邀请和达人广场；2024 年 5 月有了虚拟号，5 月底上线带货达人的橱窗成长等级，早期买家信任的缺口逐步补上。",
            "en": "From June 2023 Channels shops had shipping insurance, then invitations to sell and a creator marketplace; May 2024 brought virtual numbers and, at the end of the month, growth grades for creators' product windows, closing the early trust gap step by step.",
        },
        sources=cites(*article_lines("003", 10), since=SHIPPING_INSURANCE)
        + cites(*article_lines("003", 11), since=GROWTH_GRADES),
        effects=(Effect("shop", fit=True),),
        when=lambda p: True,
        valid_from=GROWTH_GRADES,  # the last of the steps; early_trust_gaps holds until then
    ),
    Rule(
        id="shop_rename_all_scenes",
        label={"zh": "视频号小店改名微信小店", "en": "The Channels shop became WeChat Shop"},
        rationale={
            "zh": "2024 年 8 月视频号小店改名微信小店，店铺和商品可以在公众号、视频号、小程序、搜索、聊天、社群、朋友圈等场景运行，不再只依附视频号。",
            "en": "In August 2024 the Channels shop was renamed WeChat Shop; its store and goods now run across official accounts, Channels, mini-programs, search, chats, groups and Moments rather than hanging on Channels alone.",
        },
        sources=cites(*article_lines("001", 19), *article_lines("004", 4, 26), since=SHOP_RENAME),
        effects=(Effect("shop", fit=True),),
        when=lambda p: True,
        valid_from=SHOP_RENAME,
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def fire(profile: MerchantProfile, as_of: date, rules: tuple[Rule, ...] = RULES) -> list[Firing]:
    """The rules that fire for ``profile`` on ``as_of``, each with the citations that hold then."""
    fired: list[Firing] = []
    for rule in rules:
        if not rule.in_force(as_of) or not rule.when(profile):
            continue
        sources = rule.sources_on(as_of)
        if not sources:
            continue
        effects = tuple(
            e for e in rule.effects if rule.effect_filter is None or rule.effect_filter(profile, e)
        )
        if effects:
            fired.append(Firing(rule, effects, sources))
    return fired
