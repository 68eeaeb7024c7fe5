package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/c360/c360/internal/exporter"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/scores"
)

const (
	mergeCustomers = `mutation($s: ID!, $m: [ID!]!, $dry: Boolean, $fc: [MergeFieldChoiceInput!]) {
  mergeCustomers(survivorID: $s, mergedIDs: $m, dryRun: $dry, fieldChoices: $fc) {
    merge { id mergedIDs survivor { id } undoneAt }
    survivor { id name email city birthDate identities { kind value source } orders { totalCount }
      scores { orderCount lifetimeValue feedbackCount latestNps } }
  }
}`
	unmergeCustomers = `mutation($m: ID!) { unmergeCustomers(mergeID: $m) { id name } }`
	survivorView     = `query($id: ID!) { customer(id: $id) { id name email city birthDate identities { kind value source }
  orders { totalCount } scores { orderCount lifetimeValue feedbackCount latestNps } merges { id mergedIDs undoneAt } } }`
)

type mergedView struct {
	ID, Name   string
	Email      *string
	City       *string
	BirthDate  *string
	Identities []struct {
		Kind, Value string
		Source      *string
	}
	Orders struct{ TotalCount int }
	Scores struct {
		OrderCount    int
		LifetimeValue string
		FeedbackCount int
		LatestNps     *int
	}
	Merges []struct {
		ID        string
		MergedIDs []string
		UndoneAt  *string
	}
}

type mergeOut struct {
	MergeCustomers struct {
		Merge *struct {
			ID        string
			MergedIDs []string
			Survivor  struct{ ID string }
			UndoneAt  *string
		}
		Survivor mergedView
	}
}

// export writes the database's data set and returns its files by name.
func export(t *testing.T, a *api) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := exporter.ExportDir(t.Context(), a.db.Client, dir, exporter.Options{}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range []string{ndjson.PersonasFile, ndjson.CustomersFile, ndjson.OrdersFile, ndjson.FeedbackFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	return files
}

func sameExport(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for f, w := range want {
		if !bytes.Equal(got[f], w) {
			t.Errorf("%s: %s differs:\n%s\nwant\n%s", what, f, got[f], w)
		}
	}
}

func view(t *testing.T, a *api, id string) *mergedView {
	t.Helper()
	var out struct{ Customer *mergedView }
	a.ok(survivorView, map[string]any{"id": id}, &out)
	return out.Customer
}

// twoAinos makes a customer recorded twice (the shop's and support's), each
// with orders and feedback, and a third customer.
func twoAinos(t *testing.T, a *api) (shop, support, other string) {
	t.Helper()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	shop = a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Jääskeläinen", "email": "aino@example.fi", "externalRef": "SHOP-1"})
	support = a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Jaaskelainen Aino", "email": "aino.j@example.fi",
		"phone": "+358401234567", "birthDate": "1990-04-02", "city": "Tampere", "externalRef": "CRM-7"})
	other = a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Giulia Rossi", "city": "Milano"})
	a.order(shop, at, "PAID", "19.90")
	a.order(support, at.Add(time.Hour), "FULFILLED", "5.00", "7.50")
	a.order(other, at, "PAID", "1.00")
	a.feedback(map[string]any{"customerID": support, "kind": "NPS", "channel": "EMAIL", "score": 9, "submittedAt": at.Format(time.RFC3339)})
	a.ok(addIdentity, map[string]any{"c": support, "in": map[string]any{"kind": "LOYALTY_CARD", "value": "FI-7781 2231", "source": "store"}}, nil)
	return shop, support, other
}

// TestMergeMovesEverythingToTheSurvivorAndUnmergeRestoresIt: a dry run shows
// the merged profile and writes nothing; a merge moves identities, orders
// and feedback, fills the survivor's empty fields and takes the chosen ones,
// lists the survivor once, finds it from the merged customer's id, email and
// externalRef, and gives figures equal to a computation from the rows;
// undoing it gives an export identical to the one before.
func TestMergeMovesEverythingToTheSurvivorAndUnmergeRestoresIt(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, _ := twoAinos(t, a)
		before := export(t, a)
		shopBefore, supportBefore := view(t, a, shop), view(t, a, support) // figures now cached
		insights := func() (n int) {
			var out struct{ Insights struct{ CustomerCount int } }
			a.ok(`{ insights { customerCount } }`, nil, &out)
			return out.Insights.CustomerCount
		}
		if n := insights(); n != 3 {
			t.Fatalf("insights count %d customers, want 3", n)
		}

		var dry mergeOut
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support}, "dry": true}, &dry)
		s := dry.MergeCustomers.Survivor
		if dry.MergeCustomers.Merge != nil || s.Orders.TotalCount != 2 || s.Scores.OrderCount != 2 || s.Scores.FeedbackCount != 1 ||
			s.BirthDate == nil || *s.BirthDate != "1990-04-02" || *s.Email != "aino@example.fi" {
			t.Fatalf("dry run = %+v, want no merge and the survivor with both customers' orders and feedback, "+
				"its own email and the other's birth date", dry.MergeCustomers)
		}
		sameExport(t, "after the dry run", export(t, a), before)
		a.fails(`mutation($s: ID!, $m: [ID!]!) { mergeCustomers(survivorID: $s, mergedIDs: $m, dryRun: true) { survivor { id } }
  removeIdentity(id: 1) }`, map[string]any{"s": shop, "m": []string{support}}, "BAD_USER_INPUT", "dryRun")

		var out mergeOut
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support},
			"fc": []map[string]any{{"field": "name", "fromCustomerID": support}}}, &out)
		m, s := out.MergeCustomers.Merge, out.MergeCustomers.Survivor
		if m == nil || m.Survivor.ID != shop || !slices.Equal(m.MergedIDs, []string{support}) || m.UndoneAt != nil {
			t.Fatalf("merge = %+v, want %s merged into %s", m, support, shop)
		}
		if s.Name != "Jaaskelainen Aino" || *s.City != "Tampere" || *s.Email != "aino@example.fi" ||
			s.Scores.OrderCount != shopBefore.Scores.OrderCount+supportBefore.Scores.OrderCount ||
			s.Scores.FeedbackCount != 1 || s.Scores.LatestNps == nil || *s.Scores.LatestNps != 9 {
			t.Errorf("survivor = %+v, want the chosen name, the other's city, its own email and the union's figures", s)
		}
		var kinds []string
		for _, id := range s.Identities {
			kinds = append(kinds, id.Kind+" "+id.Value)
		}
		for _, want := range []string{"EMAIL aino.j@example.fi", "PHONE +358401234567", "EXTERNAL_REF CRM-7", "LOYALTY_CARD FI-77812231", "EMAIL aino@example.fi"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("survivor's identities %v lack %s", kinds, want)
			}
		}
		for _, lookup := range []string{
			`{ customer(id: "` + support + `") { id } }`,
			`{ customer(email: "Aino.J@example.fi") { id } }`,
			`{ customer(externalRef: "CRM-7") { id } }`,
			`{ customer(identity: {kind: PHONE, value: "+358 40 123 4567"}) { id } }`,
		} {
			var got struct{ Customer *struct{ ID string } }
			a.ok(lookup, nil, &got)
			if got.Customer == nil || got.Customer.ID != shop {
				t.Errorf("%s = %+v, want the survivor %s", lookup, got.Customer, shop)
			}
		}
		if n := insights(); n != 2 {
			t.Errorf("insights count %d customers after the merge, want 2", n)
		}
		var list struct{ Customers struct{ TotalCount int } }
		a.ok(`{ customers { totalCount } }`, nil, &list)
		if list.Customers.TotalCount != 2 {
			t.Errorf("customers lists %d, want 2", list.Customers.TotalCount)
		}
		fresh, err := scores.Open(a.db.Client, a.db.Dialect, "", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		sid := view(t, a, shop)
		recomputed, err := fresh.Customer(context.Background(), atoi(t, shop))
		if err != nil {
			t.Fatal(err)
		}
		if recomputed.OrderCount != sid.Scores.OrderCount || recomputed.LifetimeValue.String() != sid.Scores.LifetimeValue ||
			recomputed.FeedbackCount != sid.Scores.FeedbackCount {
			t.Errorf("survivor's served figures %+v, recomputed from the rows %+v", sid.Scores, recomputed)
		}
		if len(sid.Merges) != 1 || sid.Merges[0].ID != m.ID {
			t.Errorf("survivor's merges = %+v, want [%s]", sid.Merges, m.ID)
		}

		a.fails(mergeCustomers, map[string]any{"s": shop, "m": []string{shop}}, "BAD_USER_INPUT", "mergedIDs[0]")
		e := a.fails(mergeCustomers, map[string]any{"s": shop, "m": []string{support}}, "BAD_USER_INPUT", "mergedIDs[0]")
		if !contains(e.Message, "was merged into customer "+shop) {
			t.Errorf("merging twice: %q, want it to name the survivor", e.Message)
		}
		a.fails(mergeCustomers, map[string]any{"s": support, "m": []string{shop}}, "BAD_USER_INPUT", "survivorID")

		var undone struct{ UnmergeCustomers []struct{ ID, Name string } }
		a.ok(unmergeCustomers, map[string]any{"m": m.ID}, &undone)
		if len(undone.UnmergeCustomers) != 2 {
			t.Fatalf("unmerge = %+v, want the survivor and the customer brought back", undone)
		}
		sameExport(t, "after merge and unmerge", export(t, a), before)
		if got := view(t, a, support); got == nil || got.ID != support || got.Scores.OrderCount != supportBefore.Scores.OrderCount ||
			len(got.Identities) != len(supportBefore.Identities) {
			t.Errorf("customer %s after the unmerge = %+v, want it as it was %+v", support, got, supportBefore)
		}
		if got := view(t, a, shop); !sameFigures(got, shopBefore) || len(got.Merges) != 1 || got.Merges[0].UndoneAt == nil {
			t.Errorf("survivor after the unmerge = %+v, want its figures as before %+v and its merge undone", got, shopBefore.Scores)
		}
		a.fails(unmergeCustomers, map[string]any{"m": m.ID}, "BAD_USER_INPUT", "mergeID")
	})
}

// TestUnmergeKeepsWhatHappenedAfterTheMerge: a new order of the survivor
// stays the survivor's and a field edited after the merge keeps its edit;
// the rest comes back.
func TestUnmergeKeepsWhatHappenedAfterTheMerge(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, _ := twoAinos(t, a)
		var out mergeOut
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support}}, &out)
		later := a.order(shop, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "PAID", "100.00")
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Turku"}) { id } }`, map[string]any{"id": shop}, nil)
		a.ok(unmergeCustomers, map[string]any{"m": out.MergeCustomers.Merge.ID}, nil)
		s, m := view(t, a, shop), view(t, a, support)
		if s.Orders.TotalCount != 2 || m.Orders.TotalCount != 1 {
			t.Errorf("orders after the unmerge: survivor %d, brought back %d; want 2 (its own and %s) and 1", s.Orders.TotalCount, m.Orders.TotalCount, later)
		}
		if s.City == nil || *s.City != "Turku" || s.BirthDate != nil {
			t.Errorf("survivor after the unmerge: city %v, birth date %v; want the edit Turku kept and the merged birth date gone", s.City, s.BirthDate)
		}
		if m.City == nil || *m.City != "Tampere" || m.Scores.FeedbackCount != 1 {
			t.Errorf("brought back = %+v, want it as it was", m)
		}
	})
}

// TestConcurrentMergesOfOneCustomer: two merges taking the same customer at
// once: one wins, the other is refused with a clear error, and nothing is
// half-done.
func TestConcurrentMergesOfOneCustomer(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, other := twoAinos(t, a)
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i, s := range []string{shop, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = a.do(mergeCustomers, map[string]any{"s": s, "m": []string{support}})
			}()
		}
		wg.Wait()
		var won, refused int
		winner := ""
		for i, r := range results {
			switch {
			case len(r.Errors) == 0:
				won++
				winner = []string{shop, other}[i]
			case r.Errors[0].Extensions["code"] == "BAD_USER_INPUT" && contains(r.Errors[0].Message, "was merged into"):
				refused++
			default:
				t.Errorf("merge %d: %s", i, r.raw)
			}
		}
		if won != 1 || refused != 1 {
			t.Fatalf("%d merges won and %d were refused, want one each", won, refused)
		}
		if n := a.count("customers"); n != 2 {
			t.Errorf("%d customers, want 2", n)
		}
		w := view(t, a, winner)
		if w.Orders.TotalCount != 2 || w.Scores.FeedbackCount != 1 {
			t.Errorf("winner %s has %d orders and %d feedback, want 2 (its own and Aino's) and 1", winner, w.Orders.TotalCount, w.Scores.FeedbackCount)
		}
	})
}

// TestErasingASurvivorErasesWhatItMerged: deleting the survivor removes the
// merged customers' records and the merge with its personal data; a merged
// customer's id then finds nothing.
func TestErasingASurvivorErasesWhatItMerged(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, _ := twoAinos(t, a)
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support}}, nil)
		a.ok(`mutation($id: ID!) { deleteCustomer(id: $id) }`, map[string]any{"id": shop}, nil)
		if n, err := a.db.Client.Merge.Query().Count(t.Context()); err != nil || n != 0 {
			t.Errorf("%d merge records after erasing the survivor (%v), want 0", n, err)
		}
		var got struct{ Customer *struct{ ID string } }
		a.ok(`query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": support}, &got)
		if got.Customer != nil || a.count("orders") != 1 || identityCount(t, a) != 0 {
			t.Errorf("after erasing the survivor: customer(id: %s) = %+v, %d orders, %d identities; want nothing of Aino left",
				support, got.Customer, a.count("orders"), identityCount(t, a))
		}
	})
}

// TestOwnEmailPhoneAndExternalRefAreIdentities: a customer's own fields are
// identities of source "profile" that follow the fields; they go with the
// field, not with removeIdentity; a field another customer holds as an
// identity stays the customer's field, and the pair is a candidate.
func TestOwnEmailPhoneAndExternalRefAreIdentities(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Виктор Петров", "email": "v@example.bg", "phone": "+359888123456"})
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {email: "viktor@example.bg", clearPhone: true, externalRef: "BG-1"}) { id } }`,
			map[string]any{"id": id}, nil)
		var got struct {
			Customer struct {
				Identities []struct {
					ID, Kind, Value string
					Source          *string
				}
			}
		}
		a.ok(`query($id: ID!) { customer(id: $id) { identities { id kind value source } } }`, map[string]any{"id": id}, &got)
		var have []string
		for _, i := range got.Customer.Identities {
			have = append(have, i.Kind+" "+i.Value+" "+*i.Source)
		}
		slices.Sort(have)
		if want := []string{"EMAIL viktor@example.bg profile", "EXTERNAL_REF BG-1 profile"}; !slices.Equal(have, want) {
			t.Fatalf("identities = %v, want %v", have, want)
		}
		a.fails(`mutation($id: ID!) { removeIdentity(id: $id) }`, map[string]any{"id": got.Customer.Identities[0].ID}, "BAD_USER_INPUT", "id")
		a.fails(addIdentity, map[string]any{"c": id, "in": map[string]any{"kind": "PHONE", "value": "+359888123457", "source": "profile"}}, "BAD_USER_INPUT", "source")

		twin := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Someone Else", "externalRef": "BG-2", "email": "else@example.bg"})
		a.ok(addIdentity, map[string]any{"c": twin, "in": map[string]any{"kind": "PHONE", "value": "+359 888 000 111"}}, nil)
		third := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Phone Only", "phone": "+359888000111"})
		var cands struct {
			DuplicateCandidates struct {
				Edges []struct {
					Node struct {
						Customer, Other struct{ ID string }
						Score           float64
						Reasons         []struct{ Rule, Detail string }
					}
				}
			}
		}
		a.ok(`query($c: ID!) { duplicateCandidates(customerID: $c) { edges { node { customer { id } other { id } score reasons { rule detail } } } } }`,
			map[string]any{"c": third}, &cands)
		if e := cands.DuplicateCandidates.Edges; len(e) != 1 || e[0].Node.Customer.ID != third || e[0].Node.Other.ID != twin ||
			e[0].Node.Score != 1 || e[0].Node.Reasons[0].Rule != "SHARED_IDENTITY" {
			b, _ := json.Marshal(e)
			t.Errorf("candidates of the phone-only contact = %s, want %s by SHARED_IDENTITY", b, twin)
		}
	})
}

func sameFigures(a, b *mergedView) bool {
	x, y := a.Scores, b.Scores
	return x.OrderCount == y.OrderCount && x.LifetimeValue == y.LifetimeValue && x.FeedbackCount == y.FeedbackCount &&
		(x.LatestNps == nil) == (y.LatestNps == nil) && (x.LatestNps == nil || *x.LatestNps == *y.LatestNps)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportAfterAMergeFindsTheSurvivor: a later import of a merged
// customer's record is rejected, naming the survivor, instead of bringing
// the duplicate back; orders and feedback referring to the merged customer
// go to the survivor.
func TestImportAfterAMergeFindsTheSurvivor(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, _ := twoAinos(t, a)
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support}}, nil)
		dir := t.TempDir()
		for name, body := range map[string]string{
			ndjson.CustomersFile: `{"externalRef":"CRM-7","kind":"INDIVIDUAL","name":"Jaaskelainen Aino"}` + "\n",
			ndjson.OrdersFile: `{"externalRef":"O-LATE","customerRef":"CRM-7","status":"PAID","channel":"STORE","currency":"EUR","placedAt":"2026-06-01T10:00:00Z",` +
				`"items":[{"sku":"S","name":"Pulla","quantity":1,"unitPrice":"3.50"}]}` + "\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := a.app.Import(t.Context(), dir, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Imported != 1 || sum.Rejected != 1 || !contains(sum.Rejections[0].Reason, "externalRef", "was merged into customer "+shop) {
			t.Fatalf("import = %s %+v, want the order imported and the merged customer's record rejected naming %s", sum, sum.Rejections, shop)
		}
		if v := view(t, a, shop); v.Orders.TotalCount != 3 || a.count("customers") != 2 {
			t.Errorf("survivor has %d orders with %d customers, want 3 (the late order too) and 2", v.Orders.TotalCount, a.count("customers"))
		}
	})
}

// TestUnmergeInReverseOrderGivesEverythingBack: a survivor that took the
// merged customer's email gives it back; a survivor merged into a third
// customer since must be separated first, and undoing both, latest first,
// gives the export of before. The export taken after the merges imports
// into an empty database without a rejection.
func TestUnmergeInReverseOrderGivesEverythingBack(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		_, support, other := twoAinos(t, a)
		plain := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino J."}) // no email
		before := export(t, a)
		var m1, m2 mergeOut
		a.ok(mergeCustomers, map[string]any{"s": plain, "m": []string{support}}, &m1)
		if e := m1.MergeCustomers.Survivor.Email; e == nil || *e != "aino.j@example.fi" {
			t.Fatalf("survivor's email = %v, want the merged customer's", e)
		}
		a.ok(mergeCustomers, map[string]any{"s": other, "m": []string{plain}}, &m2)

		dir := t.TempDir()
		if _, err := exporter.ExportDir(t.Context(), a.db.Client, dir, exporter.Options{}); err != nil {
			t.Fatal(err)
		}
		fresh := newAPI(t, a.db.Dialect)
		if sum, err := fresh.app.Import(t.Context(), dir, importer.Options{}); err != nil || sum.Rejected != 0 {
			t.Errorf("importing the export taken after merges: %s %v, %v", sum, sum.Rejections, err)
		}

		e := a.fails(unmergeCustomers, map[string]any{"m": m1.MergeCustomers.Merge.ID}, "BAD_USER_INPUT", "mergeID")
		if !contains(e.Message, "merged into customer "+other, "undo that merge first") {
			t.Errorf("undoing the first merge first: %q", e.Message)
		}
		a.ok(unmergeCustomers, map[string]any{"m": m2.MergeCustomers.Merge.ID}, nil)
		a.ok(unmergeCustomers, map[string]any{"m": m1.MergeCustomers.Merge.ID}, nil)
		sameExport(t, "after two merges undone latest first", export(t, a), before)
	})
}
