"""Known shop export layouts, recognised by their header names.

Each format says which column feeds which field, whether order fields are repeated on every line
(or only on the first line of each order, as Shopify does), and how the net revenue of a row is
computed from what the export offers. Column names checked against published headers and help
pages (second round; the first round wrote them from memory):

- Shopify orders export (Orders > Export): `Name, Email, Financial Status, Paid at, ..., Created at,
  Lineitem quantity, Lineitem name, Lineitem price, ..., Billing Name, ..., Cancelled at, Payment
  Method, Refunded Amount, Vendor, Id, Tags, Source, Lineitem discount, ..., Phone`. Names come
  only as the full `Billing Name` (split into first/last name); `Vendor` is the brand, not a
  category (the export has no product type). Older exports lack `Id`, `Tags`, `Source` and
  `Lineitem discount`; newer ones say `Canceled at`, `Lineitem SKU` and `Accepts Email Marketing`.
  Test orders: `Payment Method` = Bogus (the Bogus Gateway) or a `test` tag.
- WooCommerce: the common order-export plugin (`order_id, order_date, status, order_total,
  customer_email, billing_*, payment_method`), its "Order Number/Order Date/Order Total" variant,
  and Analytics > Orders download (`Date, Order #, Status, Customer, Customer type, Product(s),
  Items sold, Coupon(s), Net Sales, Attribution`; the customer is a name, no email).
- Stripe payments (Payments > Export): `id, Description, Created date (UTC)` (older `Created
  (UTC)`), `Amount, Amount Refunded, Currency, ..., Mode, Status, ..., Customer ID, Customer
  Description, Customer Email, Captured, Card ...`; the unified payments export lets the user
  drop the customer columns, so `Amount, Amount Refunded, Status` identify it. `Customer Name`
  (or `Card Name`) gives the name; `Customer Description` is free text and is not read as one.
- PrestaShop (Orders > Export, `;` separated): `ID;Reference;New client;Delivery;Customer;Total;
  Payment;Status;Date`, Italian back office `ID;Riferimento;Nuovo cliente;Consegna;Cliente;Totale;
  Pagamento;Stato;Data`. `Payment` is the payment module, not a sales channel. (Not confirmed
  against a published file: the back office builds the export from the visible list columns.)
- Magento 2 order grid export (Adobe's "Order Workspace" column list): `ID, Purchase Point,
  Purchase Date, Bill-to Name, Ship-to Name, Grand Total (Base), Grand Total (Purchased), Status`,
  optional `Billing Address, Shipping Address, Shipping Information, Customer Email, Customer Group,
  Subtotal, Shipping and Handling, Customer Name, Payment Method, Total Refunded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fields a mapping may use besides the canonical ones: inputs of the revenue rule and of the
# rejection rules. They never reach the `orders` table themselves.
HELPER_FIELDS: tuple[str, ...] = (
    "unit_price",  # price of one unit on the line
    "line_discount",  # discount amount of the whole line
    "order_subtotal",  # order merchandise value after discounts (Shopify `Subtotal`)
    "cancelled_at",  # non-empty = cancelled
    "test",  # true/yes = test order, or Stripe `Mode` = Test
    "payment_gateway",  # a test gateway (Shopify's `Bogus`, any gateway named `test`) = test order
    "tags",  # comma-separated tags; a tag `test` = test order (Shopify `Tags`)
    "full_name",  # "Giulia De Luca": split into first_name/last_name when the export has no such columns
)

REVENUE_TOTAL = "total"  # the mapped revenue column minus refunds
REVENUE_SHOPIFY = "shopify"  # see cleaning.shopify_revenue_rule

MERCHANDISE = "net merchandise value: line price x quantity after discounts and refunds, without shipping and taxes"
TOTAL_PAID = "amount paid minus refunds, including shipping and taxes (the export has no merchandise-only amount)"
WOO_NET_SALES = "WooCommerce net sales: after discounts and refunds, without shipping and taxes"
# a short code of each basis, for the app to say it in the user's language (`retention.i18n`)
BASIS_CODES = {MERCHANDISE: "merchandise", TOTAL_PAID: "total_paid", WOO_NET_SALES: "woo_net_sales"}


@dataclass(frozen=True)
class ExportFormat:
    """A recognised export layout."""

    name: str
    label: str
    signature: tuple[str, ...]  # all of these headers (case-insensitive) identify the format
    columns: dict[str, tuple[str, ...]]  # field -> candidate headers, first present wins
    line_items: bool = False  # order fields only on the first line of each order
    revenue_rule: str = REVENUE_TOTAL
    revenue_basis: str = TOTAL_PAID
    day_first: bool | None = None  # None: decided from the data
    extra_signatures: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


SHOPIFY = ExportFormat(
    name="shopify",
    label="Shopify orders export",
    signature=("Name", "Financial Status", "Lineitem name", "Lineitem price"),
    columns={
        "order_id": ("Name",),
        "order_date": ("Created at", "Paid at"),
        "email": ("Email",),
        "phone": ("Phone", "Billing Phone", "Shipping Phone"),
        # the orders export has no first/last name columns, only the full `Billing Name`
        "full_name": ("Billing Name", "Shipping Name"),
        "country": ("Billing Country", "Shipping Country"),
        "city": ("Billing City", "Shipping City"),
        "zip": ("Billing Zip", "Shipping Zip"),
        "accepts_marketing": ("Accepts Marketing", "Accepts Email Marketing"),
        "product_id": ("Lineitem sku",),
        "product_name": ("Lineitem name",),
        "quantity": ("Lineitem quantity",),
        "discount_code": ("Discount Code",),
        "channel": ("Source",),
        "currency": ("Currency",),
        "status": ("Financial Status",),
        "refunded": ("Refunded Amount",),
        "unit_price": ("Lineitem price",),
        "line_discount": ("Lineitem discount",),
        "order_subtotal": ("Subtotal",),
        "cancelled_at": ("Cancelled at", "Canceled at"),
        "payment_gateway": ("Payment Method", "Payment Gateway"),
        "tags": ("Tags",),
    },
    line_items=True,
    revenue_rule=REVENUE_SHOPIFY,
    revenue_basis=MERCHANDISE,
    day_first=False,
)

WOO_PLUGIN = ExportFormat(
    name="woocommerce",
    label="WooCommerce order export",
    signature=("order_id", "order_date", "order_total"),
    extra_signatures=(("Order Number", "Order Date", "Order Total"),),
    columns={
        "order_id": ("order_number", "order_id", "Order Number", "Order ID"),
        "order_date": ("order_date", "Order Date", "date_paid", "paid_date"),
        "customer_id": ("customer_id", "customer_user", "Customer User ID", "Customer ID"),
        "email": ("customer_email", "billing_email", "Email (Billing)", "Customer Email", "Billing Email"),
        "phone": ("billing_phone", "Phone (Billing)", "Billing Phone"),
        "first_name": ("billing_first_name", "First Name (Billing)", "Billing First Name"),
        "last_name": ("billing_last_name", "Last Name (Billing)", "Billing Last Name"),
        "country": ("billing_country", "Country Code (Billing)", "Billing Country"),
        "city": ("billing_city", "City (Billing)", "Billing City"),
        "zip": ("billing_postcode", "Postcode (Billing)", "Billing Postcode"),
        "revenue": ("order_total", "Order Total", "Order Total Amount"),
        "refunded": ("refunded_total", "order_refund", "Order Refund Amount", "Refunded Total"),
        "currency": ("order_currency", "currency", "Order Currency", "Currency"),
        "status": ("status", "order_status", "Order Status"),
        "discount_code": ("coupons", "coupon_items", "Coupon Code", "Coupons"),
        "product_name": ("Item Name", "product_name"),
        "product_id": ("SKU", "sku"),
        "quantity": ("Quantity", "quantity", "qty"),
        "channel": ("created_via", "Order Source"),
        "payment_gateway": ("payment_method", "Payment Method Title", "Payment Method", "payment_method_title"),
    },
)

WOO_ANALYTICS = ExportFormat(
    name="woocommerce_analytics",
    label="WooCommerce Analytics orders download",
    signature=("Order #", "Net Sales", "Customer type"),
    columns={
        "order_id": ("Order #",),
        "order_date": ("Date",),
        "customer_id": ("Customer",),
        "full_name": ("Customer",),  # the Analytics table names the customer, it has no email
        "status": ("Status",),
        "product_name": ("Product(s)",),
        "quantity": ("Items sold",),
        "discount_code": ("Coupon(s)",),
        "revenue": ("Net Sales",),
        "channel": ("Attribution",),
    },
    revenue_basis=WOO_NET_SALES,
)

STRIPE = ExportFormat(
    name="stripe",
    label="Stripe payments export",
    # `Customer Email` is optional in the unified payments export: the amount columns identify it
    signature=("Amount", "Amount Refunded", "Status"),
    columns={
        "order_id": ("id", "ID", "Payment ID", "PaymentIntent ID"),
        "order_date": ("Created date (UTC)", "Created (UTC)", "Created"),
        "customer_id": ("Customer ID",),
        "email": ("Customer Email",),
        "revenue": ("Amount",),
        "refunded": ("Amount Refunded",),
        "currency": ("Currency",),
        "status": ("Status",),
        "test": ("Mode",),
        "full_name": ("Customer Name", "Card Name"),
        "product_name": ("Description",),
    },
    day_first=False,
)

PRESTASHOP = ExportFormat(
    name="prestashop",
    label="PrestaShop orders export",
    signature=("Reference", "New client", "Delivery", "Customer", "Total"),
    extra_signatures=(("Riferimento", "Nuovo cliente", "Consegna", "Cliente", "Totale"),),
    columns={
        "order_id": ("Reference", "Riferimento", "ID"),
        "order_date": ("Date", "Data"),
        "customer_id": ("Customer", "Cliente"),
        "full_name": ("Customer", "Cliente"),  # "M. ROSSI": the name is also the only identity
        "country": ("Delivery", "Consegna"),
        "revenue": ("Total", "Totale"),
        "status": ("Status", "Stato"),
        # the payment module ("Bank wire", "PayPal") is not a sales channel
        "payment_gateway": ("Payment", "Pagamento"),
    },
)

MAGENTO = ExportFormat(
    name="magento",
    label="Magento order grid export",
    signature=("Purchase Date", "Bill-to Name", "Grand Total (Base)"),
    columns={
        "order_id": ("ID", "Order #"),
        "order_date": ("Purchase Date",),
        "email": ("Customer Email",),
        "full_name": ("Customer Name", "Bill-to Name"),
        "revenue": ("Grand Total (Purchased)", "Grand Total (Base)"),
        "refunded": ("Total Refunded",),
        "status": ("Status",),
        "channel": ("Purchase Point",),
        "payment_gateway": ("Payment Method",),
    },
)

FORMATS: tuple[ExportFormat, ...] = (SHOPIFY, WOO_ANALYTICS, WOO_PLUGIN, STRIPE, PRESTASHOP, MAGENTO)
GENERIC = ExportFormat(name="generic", label="Generic order file", signature=(), columns={})


def recognise_format(columns: list[str]) -> ExportFormat:
    """The known export whose identifying headers are all present, else `GENERIC`."""
    have = {c.strip().lower() for c in columns}
    for fmt in FORMATS:
        for sig in (fmt.signature, *fmt.extra_signatures):
            if all(h.lower() in have for h in sig):
                return fmt
    return GENERIC


def format_by_name(name: str) -> ExportFormat:
    for fmt in (*FORMATS, GENERIC):
        if fmt.name == name:
            return fmt
    return GENERIC
