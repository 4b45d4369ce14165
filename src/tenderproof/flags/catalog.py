"""Names and one-line definitions of the indicators, for the HTML report (docs/flags.md has more).

Names are OCP's (*Red Flags in Public Procurement*, 2024, and its Red Flags to OCDS mapping);
for Cardinal's eleven, Cardinal's short titles, which name the same flags.
"""

from __future__ import annotations

#: code -> (name, what it measures)
CATALOG: dict[str, tuple[str, str]] = {
    "R003": ("Short submission period", "The tender period, in whole days, is shorter than the threshold."),
    "R004": ("Failure to adequately advertise the request for bids",
             "The tender notice was published after the tender period had started."),
    "R013": ("High use of non-competitive methods",
             "A buyer's or procuring entity's share of non-competitive processes is a high outlier."),
    "R016": ("Tender value is higher or lower than average for the item category",
             "The estimated value, relative to its market's median, is an outlier (either side)."),
    "R018": ("Single bid received", "Only one tenderer took part in an open or selective process."),
    "R019": ("Low number of bidders for item category",
             "A procuring entity draws few bidders compared with its market as a whole."),
    "R020": ("Tender has a complaint", "The process has one or more complaints."),
    "R022": ("Wide disparity in bid prices", "The spread between the highest and lowest bids is a high outlier."),
    "R024": ("Price close to winning bid",
             "The second-lowest valid bid is unusually close to the winning bid."),
    "R025": ("Excessive unsuccessful bids", "A frequent tenderer wins unusually rarely."),
    "R028": ("Identical bid prices", "Different tenderers submitted bids with the same price."),
    "R030": ("Late bid won", "The winning bid was submitted after the tender period ended."),
    "R031": ("Winning bid price very close to or higher than estimated price",
             "The awarded value is within 1 % of the estimate, or above it."),
    "R035": ("All except winning bid disqualified",
             "Every bid but the winner's was disqualified."),
    "R036": ("Lowest bid disqualified", "The lowest bid was disqualified while the award is on price."),
    "R038": ("Excessive disqualified bids",
             "The share of disqualified bids of a buyer, procuring entity or tenderer is a high outlier."),
    "R040": ("Supplier has a high share of the buyer's contracts",
             "One supplier won a large share of a buyer's awarded value."),
    "R048": ("Heterogeneous supplier", "A supplier supplies an unusually wide range of item categories."),
    "R050": ("Supplier has high market share", "One supplier won a large share of a market's awarded value."),
    "R051": ("High market concentration",
             "A buyer's purchases in a market are concentrated on few suppliers (HHI)."),
    "R058": ("Heavily discounted bid", "The winning bid is far below the second-lowest valid bid."),
    "R059": ("Large difference between award value and final contract amount",
             "The contract's amount differs from its award's by 20 % or more."),
    "R060": ("Long time between award date and contract signature",
             "The contract was signed unusually long after the award."),
    "R061": ("Decision period extremely short",
             "The award came unusually soon after the tender period closed (or before)."),
    "R062": ("Decision period extremely long", "The award came unusually late after the tender period closed."),
    "R064": ("Contract has modifications", "The contract was amended."),
    "R068": ("Contract transactions exceed contract amount",
             "Payments made under the contract add up to more than its amount."),
}
