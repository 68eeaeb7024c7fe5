// Package store holds the writes that take more than one ent call and the
// rules that span records (an order's items and derived totals, feedback on
// the customer's own order). GraphQL mutations and the import share them.
// Refusals are fault errors (bad input, a missing customer, a conflict with
// stored data); any other error is a failure of the database.
package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/validate"
)

// Item is one line of a new order.
type Item struct {
	SKU       string
	Name      string
	Category  *string
	Quantity  int
	UnitPrice money.Cents
}

// NewOrder is an order to create.
type NewOrder struct {
	ExternalRef *string
	CustomerID  int
	Status      *order.Status
	Channel     order.Channel
	Currency    *string
	PlacedAt    *time.Time
	Items       []Item
}

// MaxItems bounds the lines of one order.
const MaxItems = 1000

// CheckOrder applies the order rules of data-format.md and returns the total.
func CheckOrder(o NewOrder, baseCurrency string) (money.Cents, error) {
	if o.ExternalRef != nil {
		if err := validate.Ref(*o.ExternalRef); err != nil {
			return 0, validate.Errorf("externalRef", "%s", err)
		}
	}
	if o.Currency != nil && !strings.EqualFold(*o.Currency, baseCurrency) {
		return 0, validate.Errorf("currency", "must be the base currency %s, got %q", baseCurrency, *o.Currency)
	}
	if len(o.Items) == 0 {
		return 0, validate.Errorf("items", "an order needs at least one item")
	}
	if len(o.Items) > MaxItems {
		return 0, validate.Errorf("items", "an order has at most %d items", MaxItems)
	}
	var total money.Cents
	for i, it := range o.Items {
		at := func(f string) string { return fmt.Sprintf("items[%d].%s", i, f) }
		if err := validate.Text(it.SKU); err != nil {
			return 0, validate.Errorf(at("sku"), "%s", err)
		}
		if err := validate.Text(it.Name); err != nil {
			return 0, validate.Errorf(at("name"), "%s", err)
		}
		if it.Category != nil {
			if err := validate.Text(*it.Category); err != nil {
				return 0, validate.Errorf(at("category"), "%s", err)
			}
		}
		if it.Quantity < 1 {
			return 0, validate.Errorf(at("quantity"), "must be at least 1, got %d", it.Quantity)
		}
		if it.UnitPrice < 0 {
			return 0, validate.Errorf(at("unitPrice"), "must not be negative, got %s", it.UnitPrice)
		}
		line, ok := it.UnitPrice.CheckedMul(it.Quantity)
		if ok {
			total, ok = total.CheckedAdd(line)
		}
		if !ok {
			return 0, validate.Errorf(at("quantity"), "the order total is too large")
		}
	}
	return total, nil
}

// CreateOrder creates an order with its items. The caller runs it in a
// transaction (client from ent.FromContext or a Tx), so the order and its
// items land together or not at all.
func CreateOrder(ctx context.Context, client *ent.Client, o NewOrder, baseCurrency string) (*ent.Order, error) {
	total, err := CheckOrder(o, baseCurrency)
	if err != nil {
		return nil, err
	}
	if err := customerExists(ctx, client, o.CustomerID); err != nil {
		return nil, err
	}
	create := client.Order.Create().
		SetNillableExternalRef(o.ExternalRef).
		SetCustomerID(o.CustomerID).
		SetNillableStatus(o.Status).
		SetChannel(o.Channel).
		SetCurrency(baseCurrency).
		SetTotal(total)
	if o.PlacedAt != nil {
		create.SetPlacedAt(o.PlacedAt.UTC())
	}
	created, err := create.Save(ctx)
	if err != nil {
		return nil, fault.FromDatabase(fmt.Errorf("creating order: %w", err))
	}
	items := make([]*ent.OrderItemCreate, len(o.Items))
	for i, it := range o.Items {
		line, _ := it.UnitPrice.CheckedMul(it.Quantity)
		items[i] = client.OrderItem.Create().
			SetOrderID(created.ID).SetSku(it.SKU).SetName(it.Name).SetNillableCategory(it.Category).
			SetQuantity(it.Quantity).SetUnitPrice(it.UnitPrice).SetLineTotal(line)
	}
	if _, err := client.OrderItem.CreateBulk(items...).Save(ctx); err != nil {
		return nil, fault.FromDatabase(fmt.Errorf("creating order items: %w", err))
	}
	return created, nil
}

// customerExists refuses a customerID that names no customer.
func customerExists(ctx context.Context, client *ent.Client, id int) error {
	ok, err := client.Customer.Query().Where(customer.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("looking up customer %d: %w", id, err)
	}
	if !ok {
		return validate.Errorf("customerID", "no customer with id %d", id)
	}
	return nil
}

// CheckFeedbackOrder makes sure feedback on an order is on the customer's own order.
func CheckFeedbackOrder(ctx context.Context, client *ent.Client, customerID int, orderID *int) error {
	if err := customerExists(ctx, client, customerID); err != nil {
		return err
	}
	if orderID == nil {
		return nil
	}
	o, err := client.Order.Query().Where(order.ID(*orderID)).Select(order.FieldCustomerID).Only(ctx)
	if ent.IsNotFound(err) {
		return validate.Errorf("orderID", "no order with id %d", *orderID)
	}
	if err != nil {
		return fmt.Errorf("looking up order %d: %w", *orderID, err)
	}
	if o.CustomerID != customerID {
		return validate.Errorf("orderID", "order %d belongs to another customer", *orderID)
	}
	return nil
}

// CreateFeedback records feedback after checking it references the customer's own order.
func CreateFeedback(ctx context.Context, client *ent.Client, in ent.CreateFeedbackInput) (*ent.Feedback, error) {
	if err := CheckFeedbackOrder(ctx, client, in.CustomerID, in.OrderID); err != nil {
		return nil, err
	}
	if in.SubmittedAt != nil {
		t := in.SubmittedAt.UTC()
		in.SubmittedAt = &t
	}
	f, err := client.Feedback.Create().SetInput(in).Save(ctx)
	return f, fault.FromDatabase(err)
}

// DeleteCustomer erases a customer; the foreign keys cascade to its orders,
// their items, its feedback, its identities and the merges it survived
// (with the merged customers' data). Its events stay for the audit without
// the customer and without their field changes (the values are personal
// data); a CUSTOMER_ERASED event records the erasure.
func DeleteCustomer(ctx context.Context, client *ent.Client, id int) error {
	err := client.CustomerEvent.Update().Where(customerevent.CustomerID(id)).ClearChanges().Exec(ctx)
	if err != nil {
		return fmt.Errorf("erasing customer %d's events: %w", id, err)
	}
	n, err := client.Customer.Delete().Where(customer.ID(id)).Exec(ctx)
	if err != nil {
		return fault.FromDatabase(fmt.Errorf("deleting customer %d: %w", id, err))
	}
	if n == 0 {
		return &fault.NotFound{What: fmt.Sprintf("customer %d", id)}
	}
	err = client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_ERASED).
		SetSummary(fmt.Sprintf("Customer %d erased", id)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("writing the erasure's event: %w", err)
	}
	return nil
}

// AddIdentity gives a customer an identity, stored in its kind's normal form
// (identities.Normalize). An identity belongs to one customer: adding one
// that another customer holds is refused; adding one the customer already
// holds returns it.
func AddIdentity(ctx context.Context, client *ent.Client, customerID int, kind, value string, source *string, verified *bool) (*ent.Identity, error) {
	v, err := identities.Normalize(kind, value)
	if err != nil {
		return nil, validate.Errorf("value", "%s", err)
	}
	if source != nil {
		if err := validate.Text(*source); err != nil {
			return nil, validate.Errorf("source", "%s", err)
		}
		if err := identities.CheckSource(source); err != nil {
			return nil, validate.Errorf("source", "%s", err)
		}
	}
	if err := customerExists(ctx, client, customerID); err != nil {
		return nil, err
	}
	held, err := client.Identity.Query().Where(identity.KindEQ(identity.Kind(kind)), identity.Value(v)).Only(ctx)
	switch {
	case err == nil && held.CustomerID == customerID:
		return held, nil
	case err == nil:
		return nil, validate.Errorf("value", "%s %q is already an identity of customer %d", kind, v, held.CustomerID)
	case !ent.IsNotFound(err):
		return nil, fmt.Errorf("looking up identity: %w", err)
	}
	created, err := client.Identity.Create().SetCustomerID(customerID).SetKind(identity.Kind(kind)).SetValue(v).
		SetNillableSource(source).SetNillableVerified(verified).Save(ctx)
	return created, fault.FromDatabase(err)
}

// RemoveIdentity removes an identity. One that is the customer's own email,
// phone or externalRef goes with a change of that field, not here.
func RemoveIdentity(ctx context.Context, client *ent.Client, id int) error {
	n, err := client.Identity.Delete().Where(identity.ID(id), identity.Or(identity.SourceIsNil(), identity.SourceNEQ(identities.ProfileSource))).Exec(ctx)
	if err != nil {
		return fmt.Errorf("removing identity %d: %w", id, err)
	}
	if n == 0 {
		if held, _ := client.Identity.Query().Where(identity.ID(id)).Exist(ctx); held {
			return validate.Errorf("id", "identity %d is the customer's own %s: change the customer's field instead", id, "email, phone or externalRef")
		}
		return &fault.NotFound{What: fmt.Sprintf("identity %d", id)}
	}
	return nil
}
