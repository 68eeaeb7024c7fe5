package seed

import "github.com/c360/c360/internal/personas"

// Static reference data of the generator: locales (names, places, phone
// numbers), the product catalogue, feedback comments and personas.

type city struct {
	name, region string
	weight       int
	publicOrgs   []string // public organisations located in the city
}

type locale struct {
	country     string   // ISO 3166-1 alpha-2
	lang        string   // BCP 47 language of names and comments
	weight      int      // share of customers
	emailDomain string   // domain of generated e-mail addresses
	callingCode string   // E.164 country calling code, with "+"
	mobile      []string // national mobile prefixes (after the calling code)
	mobileLen   int      // number of random digits after the prefix
	female      []string
	male        []string
	surnames    []string // masculine form where the language inflects
	feminine    func(surname string) string
	cities      []city
	business    []string // company name patterns, %s = surname
	comments    comments
}

type comments struct {
	positive, neutral, negative []string
}

var locales = []locale{
	{
		country: "FI", lang: "fi", weight: 30, emailDomain: "example.fi", callingCode: "+358",
		mobile: []string{"40", "41", "44", "45", "46", "50"}, mobileLen: 7,
		female: []string{"Aino", "Päivi", "Sanna", "Johanna", "Anna", "Emma", "Helmi", "Sofia", "Elina", "Kaisa",
			"Sari", "Minna", "Tiina", "Hanna", "Liisa", "Marjatta", "Eeva", "Säde", "Iida", "Venla", "Ella",
			"Noora", "Katja", "Pirjo", "Ritva", "Tuula", "Anneli"},
		male: []string{"Jukka", "Matti", "Mikko", "Juha", "Timo", "Antti", "Pekka", "Janne", "Ville", "Olli",
			"Jari", "Kari", "Heikki", "Eino", "Väinö", "Onni", "Leevi", "Eetu", "Jyrki", "Sakari", "Tapio",
			"Lauri", "Aleksi", "Juhani"},
		surnames: []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
			"Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen",
			"Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen",
			"Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen", "Ahonen", "Häkkinen", "Väisänen",
			"Kähkönen", "Pöyhönen", "Öhman", "Åberg", "Lähteenmäki"},
		cities: []city{
			{"Helsinki", "Uusimaa", 30, []string{"Helsingin kaupunki", "Helsingin yliopisto", "Verohallinto", "Kansaneläkelaitos"}},
			{"Espoo", "Uusimaa", 12, []string{"Espoon kaupunki", "Aalto-yliopisto"}},
			{"Vantaa", "Uusimaa", 8, []string{"Vantaan kaupunki"}},
			{"Tampere", "Pirkanmaa", 14, []string{"Tampereen kaupunki", "Tampereen yliopisto", "Pirkanmaan hyvinvointialue"}},
			{"Turku", "Varsinais-Suomi", 10, []string{"Turun kaupunki", "Turun yliopisto"}},
			{"Oulu", "Pohjois-Pohjanmaa", 9, []string{"Oulun kaupunki", "Oulun yliopisto"}},
			{"Jyväskylä", "Keski-Suomi", 7, []string{"Jyväskylän kaupunki", "Jyväskylän yliopisto"}},
			{"Kuopio", "Pohjois-Savo", 5, []string{"Kuopion kaupunki", "Itä-Suomen yliopisto"}},
			{"Lahti", "Päijät-Häme", 5, []string{"Lahden kaupunki"}},
			{"Hämeenlinna", "Kanta-Häme", 3, []string{"Hämeenlinnan kaupunki"}},
			{"Seinäjoki", "Etelä-Pohjanmaa", 3, []string{"Seinäjoen kaupunki"}},
			{"Rovaniemi", "Lappi", 3, []string{"Rovaniemen kaupunki", "Lapin yliopisto"}},
		},
		business: []string{"%s Oy", "Kahvila %s Oy", "Paahtimo %s Oy", "%s & Co Oy", "Kauppahuone %s Oy", "%s Ab"},
		comments: comments{
			positive: []string{"Nopea toimitus, kiitos!", "Erinomainen kahvi, tilaan uudelleen.",
				"Hyvää palvelua ja ystävällinen henkilökunta.", "Paras espresso pitkään aikaan ☕",
				"Kaikki sujui täydellisesti, suosittelen!"},
			neutral: []string{"Ihan ok, mutta toimitus kesti hetken.", "Tuote vastasi kuvausta.",
				"Hinta on vähän korkea, laatu hyvä."},
			negative: []string{"Paketti saapui myöhässä ja kolhiintuneena.", "Asiakaspalveluun oli vaikea saada yhteyttä.",
				"Kahvi oli liian happamaa minun makuuni.", "Tilaus puuttui kokonaan, en ole tyytyväinen."},
		},
	},
	{
		country: "BG", lang: "bg", weight: 20, emailDomain: "example.bg", callingCode: "+359",
		mobile: []string{"87", "88", "89", "98"}, mobileLen: 7,
		female: []string{"Мария", "Иванка", "Елена", "Йорданка", "Пенка", "Даниела", "Цветелина", "Десислава",
			"Гергана", "Радостина", "Виктория", "Николета", "Теодора", "Силвия", "Милена", "Ралица", "Петя",
			"Красимира", "Зорница", "Яна"},
		male: []string{"Иван", "Георги", "Димитър", "Николай", "Петър", "Христо", "Стоян", "Тодор", "Васил",
			"Александър", "Красимир", "Стефан", "Йордан", "Пламен", "Цветан", "Борислав", "Мартин", "Любомир",
			"Емил", "Живко"},
		surnames: []string{"Иванов", "Георгиев", "Димитров", "Петров", "Николов", "Христов", "Стоянов", "Тодоров",
			"Илиев", "Василев", "Атанасов", "Петков", "Ангелов", "Колев", "Йорданов", "Маринов", "Попов",
			"Стефанов", "Кръстев", "Цветков", "Желязков", "Младенов", "Ковачев", "Шишманов", "Щерев", "Чакъров",
			"Юруков", "Янев"},
		feminine: func(s string) string { return s + "а" },
		cities: []city{
			{"София", "София-град", 35, []string{"Столична община", "Софийски университет „Св. Климент Охридски“", "Министерство на икономиката"}},
			{"Пловдив", "Пловдив", 15, []string{"Община Пловдив", "Пловдивски университет „Паисий Хилендарски“"}},
			{"Варна", "Варна", 13, []string{"Община Варна", "Технически университет – Варна"}},
			{"Бургас", "Бургас", 10, []string{"Община Бургас"}},
			{"Русе", "Русе", 6, []string{"Община Русе"}},
			{"Стара Загора", "Стара Загора", 5, []string{"Община Стара Загора"}},
			{"Плевен", "Плевен", 4, []string{"Община Плевен"}},
			{"Велико Търново", "Велико Търново", 4, []string{"Община Велико Търново"}},
			{"Благоевград", "Благоевград", 3, []string{"Община Благоевград"}},
			{"Шумен", "Шумен", 3, []string{"Община Шумен"}},
		},
		business: []string{"%s ЕООД", "%s ООД", "Кафе %s ЕООД", "%s и сие ООД", "%s АД"},
		comments: comments{
			positive: []string{"Бърза доставка, благодаря!", "Отлично кафе, ще поръчам отново.",
				"Много любезно обслужване 😊", "Най-доброто еспресо в града!"},
			neutral: []string{"Добре, но доставката се забави малко.", "Продуктът отговаря на описанието.",
				"Цената е висока, но качеството е добро."},
			negative: []string{"Пратката пристигна със закъснение и повредена.", "Трудно се свързах с обслужването на клиенти.",
				"Кафето беше прекалено горчиво.", "Поръчката липсваше изцяло, много съм разочарован."},
		},
	},
	{
		country: "IT", lang: "it", weight: 25, emailDomain: "example.it", callingCode: "+39",
		mobile: []string{"320", "328", "333", "335", "338", "340", "347", "348", "349", "366", "380", "391"}, mobileLen: 7,
		female: []string{"Giulia", "Francesca", "Chiara", "Sara", "Martina", "Valentina", "Alessandra", "Federica",
			"Elisa", "Silvia", "Beatrice", "Lucrezia", "Aurora", "Ginevra", "Maria", "Anna", "Rosa", "Giuseppina",
			"Carla", "Noemi"},
		male: []string{"Marco", "Luca", "Giuseppe", "Francesco", "Alessandro", "Andrea", "Matteo", "Lorenzo",
			"Niccolò", "Nicolò", "Davide", "Simone", "Federico", "Riccardo", "Gabriele", "Salvatore", "Antonio",
			"Giovanni", "Pietro", "Noè", "Mattia", "Tommaso"},
		surnames: []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
			"Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
			"Lombardi", "Moretti", "D'Angelo", "Barbieri", "Fontana", "Santoro", "Caruso", "Ferrara", "Leone",
			"Gentile", "Vitale", "Coppola", "De Santis", "Cirillo", "Dell'Acqua", "Pirrò"},
		cities: []city{
			{"Roma", "Lazio", 20, []string{"Roma Capitale", "Regione Lazio", "Sapienza Università di Roma"}},
			{"Milano", "Lombardia", 18, []string{"Comune di Milano", "Regione Lombardia", "Politecnico di Milano"}},
			{"Napoli", "Campania", 12, []string{"Comune di Napoli", "Università degli Studi di Napoli Federico II"}},
			{"Torino", "Piemonte", 10, []string{"Comune di Torino", "Politecnico di Torino"}},
			{"Bologna", "Emilia-Romagna", 8, []string{"Comune di Bologna", "Università di Bologna"}},
			{"Firenze", "Toscana", 8, []string{"Comune di Firenze", "Università degli Studi di Firenze"}},
			{"Palermo", "Sicilia", 7, []string{"Comune di Palermo"}},
			{"Bari", "Puglia", 6, []string{"Comune di Bari"}},
			{"Genova", "Liguria", 5, []string{"Comune di Genova"}},
			{"Venezia", "Veneto", 4, []string{"Comune di Venezia", "Università Ca' Foscari Venezia"}},
			{"Verona", "Veneto", 4, []string{"Comune di Verona"}},
			{"Cagliari", "Sardegna", 3, []string{"Comune di Cagliari"}},
			{"Forlì", "Emilia-Romagna", 2, []string{"Comune di Forlì"}},
		},
		business: []string{"%s S.r.l.", "Caffè %s S.r.l.", "Bar %s S.n.c.", "%s & Figli S.p.A.", "Torrefazione %s S.r.l."},
		comments: comments{
			positive: []string{"Consegna veloce, grazie!", "Caffè ottimo, lo ricomprerò.",
				"Servizio cortese e disponibile 👍", "La moka è perfetta, qualità eccellente.",
				"Tutto perfetto, consigliatissimo!"},
			neutral: []string{"Tutto ok, ma la consegna è stata un po' lenta.", "Prodotto conforme alla descrizione.",
				"Prezzo un po' alto, però la qualità è buona."},
			negative: []string{"Il pacco è arrivato in ritardo e danneggiato.", "Difficile contattare l'assistenza clienti.",
				"Il caffè era troppo acido per i miei gusti.", "L'ordine non è mai arrivato, molto deluso."},
		},
	},
	{
		country: "GB", lang: "en", weight: 15, emailDomain: "example.co.uk", callingCode: "+44",
		mobile: []string{"71", "73", "74", "75", "77", "78", "79"}, mobileLen: 8,
		female: []string{"Olivia", "Amelia", "Emily", "Sophie", "Charlotte", "Jessica", "Hannah", "Lucy", "Grace",
			"Chloe", "Sarah", "Emma", "Rebecca", "Laura", "Zoë", "Eleanor"},
		male: []string{"Oliver", "James", "Harry", "George", "Jack", "William", "Thomas", "Daniel", "Matthew",
			"Samuel", "Benjamin", "Joseph", "David", "Michael", "Rhys", "Callum"},
		surnames: []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
			"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
			"Jackson", "Clarke", "Patel", "Khan", "Hughes", "Edwards", "Campbell", "MacDonald"},
		cities: []city{
			{"London", "England", 40, []string{"Greater London Authority", "London Borough of Camden", "University College London"}},
			{"Manchester", "England", 10, []string{"Manchester City Council"}},
			{"Birmingham", "England", 10, []string{"Birmingham City Council"}},
			{"Leeds", "England", 6, []string{"Leeds City Council"}},
			{"Bristol", "England", 6, []string{"Bristol City Council"}},
			{"Newcastle upon Tyne", "England", 4, []string{"Newcastle City Council"}},
			{"Edinburgh", "Scotland", 8, []string{"City of Edinburgh Council", "University of Edinburgh"}},
			{"Glasgow", "Scotland", 7, []string{"Glasgow City Council"}},
			{"Cardiff", "Wales", 6, []string{"Cardiff Council"}},
			{"Belfast", "Northern Ireland", 5, []string{"Belfast City Council"}},
		},
		business: []string{"%s Ltd", "%s & Sons Ltd", "%s Coffee Co. Ltd", "%s Catering plc"},
		comments: englishComments,
	},
	{
		country: "IE", lang: "en", weight: 10, emailDomain: "example.ie", callingCode: "+353",
		mobile: []string{"83", "85", "86", "87", "89"}, mobileLen: 7,
		female: []string{"Aoife", "Siobhán", "Niamh", "Róisín", "Saoirse", "Ciara", "Sinéad", "Orla", "Emma",
			"Sarah", "Aisling", "Caoimhe", "Máire", "Clodagh"},
		male: []string{"Seán", "Ciarán", "Pádraig", "Liam", "Conor", "Cian", "Darragh", "Oisín", "Eoin", "Niall",
			"Declan", "Colm", "Tadhg", "Jack"},
		surnames: []string{"Murphy", "Kelly", "O'Sullivan", "Walsh", "Smith", "O'Brien", "Byrne", "Ryan",
			"O'Connor", "O'Neill", "O'Reilly", "Doyle", "McCarthy", "Gallagher", "Doherty", "Kennedy", "Lynch",
			"Murray", "Quinn", "Moore"},
		cities: []city{
			{"Dublin", "Leinster", 45, []string{"Dublin City Council", "Trinity College Dublin", "University College Dublin"}},
			{"Cork", "Munster", 18, []string{"Cork City Council", "University College Cork"}},
			{"Galway", "Connacht", 10, []string{"Galway City Council", "University of Galway"}},
			{"Limerick", "Munster", 9, []string{"Limerick City and County Council"}},
			{"Waterford", "Munster", 5, []string{"Waterford City and County Council"}},
			{"Kilkenny", "Leinster", 3, []string{"Kilkenny County Council"}},
			{"Sligo", "Connacht", 3, []string{"Sligo County Council"}},
			{"Letterkenny", "Ulster", 2, []string{"Donegal County Council"}},
		},
		business: []string{"%s Ltd", "%s & Co. Ltd", "%s Coffee Roasters Ltd", "%s Teoranta"},
		comments: englishComments,
	},
}

var englishComments = comments{
	positive: []string{"Fast delivery, thanks!", "Great coffee, will order again.",
		"Lovely service, very helpful staff ☕", "Best espresso I've had in ages!", "Everything was perfect, highly recommended."},
	neutral: []string{"Fine, but delivery took a while.", "Product as described.",
		"A bit pricey, but the quality is good."},
	negative: []string{"Parcel arrived late and damaged.", "Hard to reach customer support.",
		"Coffee was too bitter for my taste.", "My order never arrived, very disappointed."},
}

type product struct {
	sku      string
	name     string
	category string // "" = no category
	cents    int64  // unit price in cents
	weight   int    // relative popularity; 0 = only added as a free sample
}

// catalogue of products; samples (price 0.00) have weight 0 and are added to
// orders separately.
var catalogue = []product{
	{"SKU-001", "Espresso beans 1kg", "coffee", 1990, 60},
	{"SKU-002", "Espresso beans 250g", "coffee", 650, 50},
	{"SKU-003", "Kahvipaketti Juhla Mokka 500g", "coffee", 549, 60},
	{"SKU-004", "Tumma paahto 450g", "coffee", 695, 40},
	{"SKU-005", "Caffè macinato Moka 250g", "coffee", 420, 50},
	{"SKU-006", "Miscela Napoletana 1kg", "coffee", 2250, 30},
	{"SKU-007", "Кафе на зърна Арабика 1 кг", "coffee", 2490, 30},
	{"SKU-008", "Мляно кафе 250 г", "coffee", 580, 40},
	{"SKU-009", "Decaf Colombia 500g", "coffee", 1140, 15},
	{"SKU-010", "Single origin Ethiopia Yirgacheffe 250g", "coffee", 1290, 20},
	{"SKU-011", "Cold brew concentrate 1l", "coffee", 990, 15},
	{"SKU-012", "Capsule compatibili Nespresso ×50", "coffee", 1490, 35},
	{"SKU-013", "Earl Grey loose leaf 100g", "tea", 750, 20},
	{"SKU-014", "Vihreä tee 100g", "tea", 620, 15},
	{"SKU-015", "Мурсалски чай 50 г", "tea", 490, 15},
	{"SKU-016", "Tè verde al gelsomino 100g", "tea", 680, 12},
	{"SKU-017", "Rooibos vanilla 100g", "tea", 590, 10},
	{"SKU-018", "Matcha ceremonial 30g", "tea", 2400, 6},
	{"SKU-019", "Moka Bialetti 3 tazze", "equipment", 2990, 8},
	{"SKU-020", "Moka Bialetti 6 tazze", "equipment", 3990, 6},
	{"SKU-021", "Espresso machine Gaggia Classic", "equipment", 44900, 2},
	{"SKU-022", "Burr grinder", "equipment", 12900, 3},
	{"SKU-023", "Kahvinkeitin Moccamaster", "equipment", 22900, 2},
	{"SKU-024", "Джезве за турско кафе", "equipment", 1850, 5},
	{"SKU-025", "French press 1l", "equipment", 3490, 5},
	{"SKU-026", "Pour-over dripper V60", "equipment", 2450, 5},
	{"SKU-027", "Milk frother", "equipment", 7900, 3},
	{"SKU-028", "Vedenkeitin 1,7 l", "equipment", 5990, 3},
	{"SKU-029", "Macchina espresso professionale", "equipment", 49900, 1},
	{"SKU-030", "Чаша за кафе", "accessories", 890, 12},
	{"SKU-031", "Kahvikuppi Arabia 24h", "accessories", 2490, 8},
	{"SKU-032", "Tazzine da caffè ×6", "accessories", 2750, 6},
	{"SKU-033", "Paper filters ×100", "accessories", 390, 25},
	{"SKU-034", "Descaler 500ml", "accessories", 950, 10},
	{"SKU-035", "Travel mug 350ml", "accessories", 1900, 8},
	{"SKU-036", "Tamper 58mm", "accessories", 3200, 3},
	{"SKU-037", "Cantucci toscani 250g", "snacks", 560, 15},
	{"SKU-038", "Sugar sticks ×200", "snacks", 50, 10},
	{"SKU-039", "Gift card 25 €", "", 2500, 3},
	{"SKU-040", "Gift card 50 €", "", 5000, 2},
	{"SKU-041", "☕ Barista starter kit", "equipment", 14900, 2},
	{"SKU-042", "Free sample: espresso 50g", "samples", 0, 0},
	{"SKU-043", "Näytepakkaus: vihreä tee", "samples", 0, 0},
	{"SKU-044", "Мостра: кафе 50 г", "samples", 0, 0},
}

type personaDef struct {
	ref, name, description string
	minAge, maxAge         int // 0 = unset
	genders                []personas.Gender
	incomes                []personas.IncomeBand
	countries              []string
	kinds                  []personas.Kind
}

var personaDefs = []personaDef{
	{ref: "P-young-urban", name: "Young urban professionals",
		description: "25–34-year-old city dwellers in Finland and Italy with middle to upper-middle income.",
		minAge:      25, maxAge: 34, incomes: []personas.IncomeBand{"MIDDLE", "UPPER_MIDDLE"}, countries: []string{"FI", "IT"},
		kinds: []personas.Kind{"INDIVIDUAL"}},
	{ref: "P-bulgarian-families", name: "Bulgarian families",
		description: "Семейства в България: individuals aged 30–49 living in Bulgaria.",
		minAge:      30, maxAge: 49, countries: []string{"BG"}, kinds: []personas.Kind{"INDIVIDUAL"}},
	{ref: "P-italian-retirees", name: "Italian retirees",
		description: "Pensionati italiani: individuals aged 65 or more living in Italy.",
		minAge:      65, countries: []string{"IT"}, kinds: []personas.Kind{"INDIVIDUAL"}},
	{ref: "P-nordic-business", name: "Nordic businesses",
		description: "Companies in Finland (cafés, offices, resellers).",
		countries:   []string{"FI"}, kinds: []personas.Kind{"BUSINESS"}},
	{ref: "P-public-sector", name: "Public sector buyers",
		description: "Municipalities, universities and agencies in every country.",
		kinds:       []personas.Kind{"PUBLIC_ORGANIZATION"}},
	{ref: "P-high-earners", name: "High earners",
		description: "Customers in the highest income band, any country.",
		incomes:     []personas.IncomeBand{"HIGH"}},
	{ref: "P-students", name: "Students and young adults",
		description: "18–24-year-olds with low or lower-middle income.",
		minAge:      18, maxAge: 24, incomes: []personas.IncomeBand{"LOW", "LOWER_MIDDLE"}, kinds: []personas.Kind{"INDIVIDUAL"}},
	{ref: "P-anglo-women", name: "Women in the UK and Ireland",
		countries: []string{"GB", "IE"}, genders: []personas.Gender{"FEMALE"}, kinds: []personas.Kind{"INDIVIDUAL"}},
	{ref: "P-everyone", name: "Everyone"},
}
