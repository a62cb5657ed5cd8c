"""Word lists the demo is built from: people, places, companies and the product catalogue.

Everything here is plain data. The generators (`people`, `products`) sample from it with
numpy, so the lists stay free of `;`, `"` and new lines (they end up in CSV files as is).
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Marie Jean Pierre Michel Nathalie Isabelle Philippe Sylvie Catherine Alain Nicolas "
    "Christophe Stéphane Sandrine Patrick Céline Frédéric Laurent Valérie Julien Émilie "
    "Sébastien Aurélie David Camille Thomas Julie Antoine Léa Hugo Chloé Lucas Manon Louis "
    "Emma Gabriel Inès Arthur Jade Raphaël Louise Jules Alice Adam Lina Maël Rose Paul Anna "
    "Léo Mila Nathan Zoé Théo Margaux Mathis Clémence Baptiste Pauline Maxime Élodie Quentin "
    "Anaïs Romain Lucie Guillaume Sophie Vincent Hélène François Françoise Bernard Monique "
    "Daniel Christine Thierry Brigitte Olivier Agnès Benoît Mathilde Jérôme Justine Yannick "
    "Gaëlle Hervé Solène Cédric Océane Damien Maëlys Grégory Noémie Loïc Margot Fabien Léna"
)

LAST_NAMES = _words(
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier "
    "François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu "
    "Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun "
    "Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche "
    "Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud "
    "Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq "
    "Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin "
    "Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier "
    "Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly "
    "Hervé Schneider Fernandez Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel "
    "Rousset Cousin Germain Breton Besson Langlois Rémy Goff Pelletier Lévêque Perrier "
    "Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez "
    "Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Silva Bouchet"
)

STREET_TYPES = ["rue", "rue", "rue", "avenue", "boulevard", "place", "allée", "impasse",
                "chemin", "quai", "cours", "route"]

STREET_NAMES = [
    "de la République", "Victor Hugo", "Jean Jaurès", "de la Paix", "Pasteur",
    "du Général de Gaulle", "des Lilas", "Gambetta", "de la Gare", "Voltaire", "Jules Ferry",
    "Émile Zola", "du Moulin", "des Écoles", "de l'Église", "Saint-Michel", "Nationale",
    "des Acacias", "du Stade", "de Verdun", "Carnot", "Anatole France", "Molière",
    "Lamartine", "des Tilleuls", "du Château", "de la Mairie", "des Vignes", "du Port",
    "Jean Moulin", "Aristide Briand", "Foch", "de Lattre de Tassigny", "du Commerce",
    "des Roses", "de la Liberté", "Paul Bert", "Georges Clemenceau", "du 8 Mai 1945",
    "de Bretagne", "des Peupliers", "de la Fontaine", "du Marché", "Saint-Exupéry",
    "Marcel Pagnol", "Louise Michel", "Simone Veil", "Pierre et Marie Curie", "des Mimosas",
    "de la Forêt", "du Levant", "des Cerisiers", "Édouard Herriot", "Alsace-Lorraine",
]

ADDRESS2 = ["Bâtiment A", "Bâtiment B", "Bâtiment C", "Résidence les Tilleuls",
            "Résidence du Parc", "Appartement 12", "Appartement 4", "Escalier 2",
            "Lieu-dit les Granges", "BP 42", "Zone artisanale", "2e étage"]

MAIL_DOMAINS = ["orange.fr", "free.fr", "gmail.com", "laposte.net", "sfr.fr", "wanadoo.fr",
                "hotmail.fr", "yahoo.fr", "outlook.fr", "bbox.fr"]


@dataclass(frozen=True)
class Store:
    """A store of the demo chain and the towns its customers live in."""

    code: str
    site: str
    name: str
    address1: str
    postcode: str
    city: str
    phone_prefix: str
    registers: int
    towns: tuple[tuple[str, str], ...]  # (postcode, town)


STORES: tuple[Store, ...] = (
    Store("MAG01", "mag-01", "Comptoir Lyon Presqu'île", "12 rue de la République", "69002",
          "Lyon", "04", 3,
          (("69001", "Lyon"), ("69002", "Lyon"), ("69003", "Lyon"), ("69006", "Lyon"),
           ("69007", "Lyon"), ("69008", "Lyon"), ("69100", "Villeurbanne"),
           ("69200", "Vénissieux"), ("69300", "Caluire-et-Cuire"), ("69500", "Bron"),
           ("69120", "Vaulx-en-Velin"), ("69130", "Écully"), ("69600", "Oullins"),
           ("69800", "Saint-Priest"))),
    Store("MAG02", "mag-02", "Comptoir Paris Haussmann", "45 boulevard Haussmann", "75009",
          "Paris", "01", 3,
          (("75009", "Paris"), ("75011", "Paris"), ("75015", "Paris"), ("75017", "Paris"),
           ("75018", "Paris"), ("75020", "Paris"), ("92100", "Boulogne-Billancourt"),
           ("93100", "Montreuil"), ("93200", "Saint-Denis"), ("94300", "Vincennes"),
           ("92200", "Neuilly-sur-Seine"), ("92130", "Issy-les-Moulineaux"),
           ("94000", "Créteil"), ("92300", "Levallois-Perret"))),
    Store("MAG03", "mag-03", "Comptoir Marseille Canebière", "8 La Canebière", "13001",
          "Marseille", "04", 2,
          (("13001", "Marseille"), ("13004", "Marseille"), ("13006", "Marseille"),
           ("13008", "Marseille"), ("13012", "Marseille"), ("13100", "Aix-en-Provence"),
           ("13400", "Aubagne"), ("13600", "La Ciotat"), ("13700", "Marignane"),
           ("13127", "Vitrolles"), ("13500", "Martigues"), ("13260", "Cassis"))),
    Store("MAG04", "mag-04", "Comptoir Lille Faidherbe", "27 rue Faidherbe", "59000",
          "Lille", "03", 2,
          (("59000", "Lille"), ("59800", "Lille"), ("59100", "Roubaix"),
           ("59200", "Tourcoing"), ("59650", "Villeneuve-d'Ascq"), ("59700", "Marcq-en-Barœul"),
           ("59130", "Lambersart"), ("59280", "Armentières"), ("59150", "Wattrelos"),
           ("59160", "Lomme"))),
    Store("MAG05", "mag-05", "Comptoir Bordeaux Sainte-Catherine", "63 rue Sainte-Catherine",
          "33000", "Bordeaux", "05", 2,
          (("33000", "Bordeaux"), ("33100", "Bordeaux"), ("33200", "Bordeaux"),
           ("33300", "Bordeaux"), ("33700", "Mérignac"), ("33600", "Pessac"),
           ("33400", "Talence"), ("33130", "Bègles"), ("33110", "Le Bouscat"),
           ("33140", "Villenave-d'Ornon"), ("33500", "Libourne"), ("33120", "Arcachon"))),
    Store("MAG06", "mag-06", "Comptoir Nantes Crébillon", "5 rue Crébillon", "44000",
          "Nantes", "02", 3,
          (("44000", "Nantes"), ("44100", "Nantes"), ("44200", "Nantes"), ("44300", "Nantes"),
           ("44800", "Saint-Herblain"), ("44400", "Rezé"), ("44600", "Saint-Nazaire"),
           ("44700", "Orvault"), ("44120", "Vertou"), ("44470", "Carquefou"),
           ("44500", "La Baule-Escoublac"))),
)

CENTRAL = Store("CENTRAL", "central", "Plateforme logistique centrale",
                "210 rue du Champ Rond", "45770", "Saran", "02", 0, ())

#: Customers abroad: (regime, country, postcode, town, phone prefix).
FOREIGN_TOWNS = (
    ("UE", "BE", "1000", "Bruxelles", "+32 2"),
    ("UE", "BE", "4000", "Liège", "+32 4"),
    ("UE", "LU", "1111", "Luxembourg", "+352"),
    ("UE", "DE", "50667", "Köln", "+49 221"),
    ("UE", "ES", "08001", "Barcelona", "+34 93"),
    ("UE", "IT", "20121", "Milano", "+39 02"),
    ("EXPORT", "CH", "1201", "Genève", "+41 22"),
    ("EXPORT", "CH", "1003", "Lausanne", "+41 21"),
    ("EXPORT", "GB", "SW1A 1AA", "London", "+44 20"),
)

#: Customer families (customers.family) and their share of the customer base.
CUSTOMER_FAMILIES = (("PARTICULIER", 0.84), ("PROFESSIONNEL", 0.12),
                     ("ASSOCIATION", 0.02), ("COLLECTIVITE", 0.02))

TRADES = ["Boulangerie", "Boucherie", "Pharmacie", "Garage", "Restaurant", "Café",
          "Hôtel", "Fleuriste", "Cabinet", "Menuiserie", "Plomberie", "Électricité",
          "Salon de coiffure", "Librairie", "Pressing", "Auto-école", "Traiteur",
          "Épicerie fine", "Institut de beauté", "Agence immobilière", "Crèche",
          "Cave à vins", "Fromagerie", "Brasserie"]
LEGAL_FORMS = ["", "", " SARL", " SAS", " EURL", " SASU", " & Fils"]
ASSOCIATIONS = ["Association sportive de", "Comité des fêtes de", "Amicale laïque de",
                "Club de football de", "Harmonie municipale de", "Association des parents "
                "d'élèves de"]
COLLECTIVITIES = ["Mairie de", "Collège de", "École élémentaire de", "EHPAD de",
                  "Centre social de", "Médiathèque de"]

CONTACT_ROLES = ["Gérant", "Comptabilité", "Responsable achats", "Secrétariat",
                 "Directeur", "Assistante de direction"]


@dataclass(frozen=True)
class Supplier:
    """A supplier of the demo chain."""

    name: str
    regime: str
    policy: str  # defective_policy
    postcode: str
    city: str
    country: str
    domain: str


SUPPLIERS: tuple[Supplier, ...] = (
    Supplier("Comptoir Logistique Centrale", "FR", "supplier_return", "45770", "Saran", "FR",
             "comptoir-logistique.fr"),
    Supplier("Épicerie Générale du Sud", "FR", "adjustment", "13290", "Aix-en-Provence", "FR",
             "egs-distribution.fr"),
    Supplier("Grands Vins de France", "FR", "supplier_return", "33000", "Bordeaux", "FR",
             "grandsvins.fr"),
    Supplier("Brasseries Réunies du Nord", "FR", "supplier_return", "59000", "Lille", "FR",
             "brasseries-reunies.fr"),
    Supplier("Eaux et Sources de France", "FR", "adjustment", "63200", "Riom", "FR",
             "eauxsources.fr"),
    Supplier("Laiteries du Ponant", "FR", "none", "29000", "Quimper", "FR", "laiteries-ponant.fr"),
    Supplier("Salaisons Bastide", "FR", "none", "12000", "Rodez", "FR", "salaisons-bastide.fr"),
    Supplier("Cosmétiques de Grasse", "FR", "supplier_return", "06130", "Grasse", "FR",
             "cosmetiques-grasse.fr"),
    Supplier("Hygiène Plus Distribution", "FR", "adjustment", "69400", "Villefranche-sur-Saône",
             "FR", "hygieneplus.fr"),
    Supplier("Entretien Pro Diffusion", "FR", "adjustment", "76000", "Rouen", "FR",
             "entretien-pro.fr"),
    Supplier("Arts de la Table", "FR", "supplier_return", "87000", "Limoges", "FR",
             "artsdelatable.fr"),
    Supplier("Textiles du Nord", "FR", "supplier_return", "59100", "Roubaix", "FR",
             "textilesdunord.fr"),
    Supplier("Filatures Vosgiennes", "FR", "supplier_return", "88000", "Épinal", "FR",
             "filatures-vosgiennes.fr"),
    Supplier("Bricodis", "FR", "supplier_return", "49000", "Angers", "FR", "bricodis.fr"),
    Supplier("Électro Négoce", "FR", "supplier_return", "38000", "Grenoble", "FR",
             "electronegoce.fr"),
    Supplier("Pépinières de l'Ouest", "FR", "none", "49130", "Les Ponts-de-Cé", "FR",
             "pepinieres-ouest.fr"),
    Supplier("Jardin Distribution", "FR", "adjustment", "84000", "Avignon", "FR",
             "jardin-distribution.fr"),
    Supplier("Diffusion Presse Régions", "FR", "supplier_return", "75010", "Paris", "FR",
             "presse-regions.fr"),
    Supplier("Librairie Diffusion", "FR", "supplier_return", "75006", "Paris", "FR",
             "librairie-diffusion.fr"),
    Supplier("Traiteur Gourmet Services", "FR", "none", "69007", "Lyon", "FR",
             "gourmet-services.fr"),
    Supplier("Torréfaction Lyonnaise", "FR", "adjustment", "69009", "Lyon", "FR",
             "torrefaction-lyonnaise.fr"),
    Supplier("Confiserie du Midi", "FR", "adjustment", "84200", "Carpentras", "FR",
             "confiserie-midi.fr"),
    Supplier("Conserverie Bretonne", "FR", "adjustment", "29900", "Concarneau", "FR",
             "conserverie-bretonne.fr"),
    Supplier("Europa Haushalt GmbH", "UE", "supplier_return", "80331", "München", "DE",
             "europa-haushalt.de"),
    Supplier("Helvetia Chocolat SA", "EXPORT", "none", "1201", "Genève", "CH",
             "helvetia-chocolat.ch"),
)


@dataclass(frozen=True)
class SubFamily:
    """A sub-family of the catalogue and how its articles are made."""

    code: str
    name: str
    vat: str  # VAT code
    unit: str
    price: tuple[float, float]  # shelf price range incl. VAT, in euros
    products: tuple[str, ...]
    variants: tuple[str, ...]  # formats, sizes, colours
    lot_share: float = 0.0  # share of its articles managed by lots


@dataclass(frozen=True)
class Family:
    """A family of the catalogue."""

    code: str
    name: str
    weight: float  # share of the catalogue
    subs: tuple[SubFamily, ...]


def _t(words: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in words.split("|"))


FAMILIES: tuple[Family, ...] = (
    Family("EPI", "Épicerie", 0.16, (
        SubFamily("SAL", "Épicerie salée", "T3", "U", (0.9, 9.0), _t(
            "Pâtes torsades|Spaghetti|Riz basmati|Riz long grain|Lentilles vertes|Pois chiches|"
            "Semoule fine|Huile d'olive vierge extra|Huile de tournesol|Vinaigre balsamique|"
            "Moutarde de Dijon|Sauce tomate basilic|Sel de Guérande|Poivre noir moulu|"
            "Bouillon de légumes|Olives vertes"), _t(
            "250 g|500 g|1 kg|75 cl|1 l|350 g|bocal 200 g")),
        SubFamily("SUC", "Épicerie sucrée", "T3", "U", (1.2, 8.5), _t(
            "Confiture de fraises|Miel de fleurs|Chocolat noir 70 %|Biscuits sablés|Madeleines|"
            "Pâte à tartiner|Sucre en poudre|Farine de blé T55|Compote de pommes|"
            "Céréales muesli|Crêpes dentelle|Caramels au beurre salé"), _t(
            "200 g|250 g|400 g|500 g|1 kg|pot 370 g")),
        SubFamily("CON", "Conserves", "T3", "U", (0.9, 7.5), _t(
            "Thon au naturel|Sardines à l'huile d'olive|Haricots verts extra-fins|"
            "Petits pois carottes|Maïs doux|Cassoulet|Ratatouille|Raviolis pur bœuf|"
            "Tomates pelées|Maquereaux au vin blanc"), _t(
            "boîte 1/4|boîte 1/2|boîte 4/4|lot de 3|400 g|800 g")),
        SubFamily("PDJ", "Petit-déjeuner", "T3", "U", (1.5, 12.0), _t(
            "Café moulu pur arabica|Café en grains|Thé vert|Thé noir Earl Grey|Chicorée|"
            "Chocolat en poudre|Infusion verveine|Capsules espresso"), _t(
            "250 g|500 g|1 kg|boîte de 20 sachets|boîte de 10 capsules")),
        SubFamily("COF", "Coffrets gourmands", "T1", "U", (19.9, 79.0), _t(
            "Coffret gourmand|Panier garni|Coffret apéritif|Coffret dégustation|"
            "Coffret du terroir"), _t("petit modèle|grand modèle|édition fêtes|découverte")),
    )),
    Family("BOI", "Boissons", 0.12, (
        SubFamily("EAU", "Eaux", "T3", "U", (0.4, 4.5), _t(
            "Eau minérale naturelle|Eau gazeuse|Eau de source|Eau pétillante citron"), _t(
            "50 cl|1 l|1,5 l|pack 6 x 1,5 l|pack 6 x 50 cl")),
        SubFamily("JUS", "Jus et sodas", "T3", "U", (1.1, 6.0), _t(
            "Jus d'orange|Jus de pomme|Nectar d'abricot|Limonade|Soda cola|Thé glacé pêche|"
            "Sirop de menthe|Sirop de grenadine|Jus de raisin"), _t(
            "33 cl|1 l|1,5 l|pack 6 x 33 cl|75 cl")),
        SubFamily("VIN", "Vins", "T1", "U", (4.5, 39.0), _t(
            "Bordeaux rouge AOC|Côtes-du-Rhône|Muscadet sur lie|Rosé de Provence|Chablis|"
            "Beaujolais-Villages|Champagne brut|Crémant d'Alsace|Saint-Émilion|Sancerre blanc"),
           _t("75 cl|37,5 cl|magnum 1,5 l|carton de 6")),
        SubFamily("BIE", "Bières", "T1", "U", (1.2, 14.0), _t(
            "Bière blonde|Bière blanche|Bière ambrée|Bière IPA|Bière sans alcool|Bière de Noël"),
           _t("33 cl|75 cl|pack 6 x 25 cl|pack 12 x 25 cl")),
        SubFamily("SPI", "Spiritueux", "T1", "U", (12.0, 49.0), _t(
            "Pastis|Calvados|Cognac VS|Rhum ambré|Whisky blended|Armagnac|Liqueur de poire"),
           _t("70 cl|35 cl|1 l")),
    )),
    Family("FRA", "Produits frais", 0.10, (
        SubFamily("CRE", "Crèmerie", "T3", "U", (0.9, 6.5), _t(
            "Yaourt nature|Beurre doux|Beurre demi-sel|Crème fraîche épaisse|Lait demi-écrémé|"
            "Fromage blanc|Œufs plein air|Yaourt à la vanille"), _t(
            "pack de 4|pack de 12|250 g|500 g|1 l|boîte de 6|boîte de 12"), 0.9),
        SubFamily("FRO", "Fromages", "T3", "U", (1.9, 14.0), _t(
            "Camembert de Normandie AOP|Comté 12 mois|Roquefort AOP|Brie de Meaux|"
            "Emmental râpé|Chèvre frais|Reblochon de Savoie|Tomme des Pyrénées"), _t(
            "200 g|250 g|300 g|500 g|portion"), 0.9),
        SubFamily("CHA", "Charcuterie", "T3", "U", (1.9, 12.0), _t(
            "Jambon blanc|Saucisson sec|Rillettes du Mans|Pâté de campagne|Jambon cru|"
            "Terrine de canard|Chorizo doux"), _t("4 tranches|6 tranches|200 g|250 g|pièce"),
           0.9),
    )),
    Family("HYG", "Hygiène-Beauté", 0.10, (
        SubFamily("COR", "Soins du corps", "T1", "U", (1.5, 14.0), _t(
            "Gel douche|Savon de Marseille|Crème hydratante|Déodorant|Lait corporel|"
            "Crème mains"), _t("250 ml|500 ml|100 ml|lot de 2|flacon pompe 400 ml"), 0.3),
        SubFamily("CAP", "Soins capillaires", "T1", "U", (2.0, 12.0), _t(
            "Shampooing|Après-shampooing|Masque capillaire|Laque fixation forte"), _t(
            "250 ml|400 ml|200 ml|format familial"), 0.3),
        SubFamily("DEN", "Hygiène dentaire", "T1", "U", (1.2, 9.0), _t(
            "Dentifrice|Brosse à dents souple|Bain de bouche|Fil dentaire"), _t(
            "75 ml|lot de 2|500 ml|50 m"), 0.3),
    )),
    Family("ENT", "Entretien", 0.08, (
        SubFamily("LES", "Lessive", "T1", "U", (2.5, 18.0), _t(
            "Lessive liquide|Lessive en poudre|Adoucissant|Détachant avant lavage"), _t(
            "1,5 l|3 l|20 doses|40 doses|2 kg")),
        SubFamily("MEN", "Ménage", "T1", "U", (0.9, 9.0), _t(
            "Nettoyant multi-usages|Nettoyant vitres|Eau de Javel|Éponges grattantes|"
            "Sacs poubelle 30 l|Sacs poubelle 50 l|Vinaigre ménager"), _t(
            "500 ml|750 ml|1 l|lot de 3|rouleau de 20")),
        SubFamily("VAI", "Vaisselle", "T1", "U", (1.2, 11.0), _t(
            "Liquide vaisselle|Tablettes lave-vaisselle|Liquide de rinçage|Sel régénérant"), _t(
            "500 ml|750 ml|boîte de 30|boîte de 60|1 kg")),
    )),
    Family("MAI", "Maison", 0.11, (
        SubFamily("CUI", "Cuisine", "T1", "U", (3.9, 59.0), _t(
            "Poêle antiadhésive|Casserole inox|Couteau d'office|Planche à découper|Saladier|"
            "Set de 6 verres|Tasse à café|Moule à cake|Cocotte en fonte"), _t(
            "20 cm|24 cm|28 cm|blanc|noir|rouge|bambou")),
        SubFamily("DEC", "Décoration", "T1", "U", (4.9, 49.0), _t(
            "Bougie parfumée|Cadre photo|Coussin déhoussable|Vase en verre|Miroir rond|"
            "Horloge murale|Photophore"), _t(
            "petit modèle|grand modèle|lin naturel|gris anthracite|blanc|doré|terracotta")),
        SubFamily("LIN", "Linge de maison", "T1", "U", (4.9, 69.0), _t(
            "Drap housse|Housse de couette|Serviette de bain|Torchon|Nappe enduite|Plaid"), _t(
            "90 x 190|140 x 190|160 x 200|240 x 260|50 x 100|blanc|bleu|vert sauge")),
    )),
    Family("TEX", "Textile", 0.10, (
        SubFamily("HOM", "Homme", "T1", "U", (5.9, 59.0), _t(
            "T-shirt col rond|Chemise oxford|Pull col V|Jean coupe droite|Chaussettes coton|"
            "Polo piqué"), _t("taille S|taille M|taille L|taille XL|bleu marine|gris chiné")),
        SubFamily("FEM", "Femme", "T1", "U", (5.9, 69.0), _t(
            "Robe fluide|Chemisier|Gilet maille|Jupe midi|Legging|Foulard imprimé"), _t(
            "taille 36|taille 38|taille 40|taille 42|noir|écru|rouge")),
        SubFamily("ENF", "Enfant", "T1", "U", (3.9, 35.0), _t(
            "Pyjama|Body manches courtes|Sweat à capuche|Bonnet|Pantalon de jogging"), _t(
            "6 mois|2 ans|4 ans|6 ans|8 ans|10 ans")),
    )),
    Family("BRI", "Bricolage", 0.08, (
        SubFamily("OUT", "Outillage", "T1", "U", (3.9, 89.0), _t(
            "Tournevis|Marteau de charpentier|Mètre ruban|Clé à molette|Perceuse visseuse|"
            "Niveau à bulle|Scie égoïne"), _t("5 m|8 m|300 mm|18 V|coffret|cruciforme")),
        SubFamily("QUI", "Quincaillerie", "T1", "U", (1.5, 15.0), _t(
            "Vis à bois|Chevilles nylon|Clous tête plate|Crochets|Cadenas laiton"), _t(
            "boîte de 100|boîte de 200|sachet de 50|4 x 40 mm|40 mm")),
        SubFamily("ELE", "Électricité", "T1", "U", (1.9, 29.0), _t(
            "Ampoule LED|Rallonge électrique|Multiprise|Piles alcalines|Lampe torche"), _t(
            "E27|GU10|3 m|5 m|4 prises|lot de 4|lot de 8")),
    )),
    Family("JAR", "Jardin", 0.06, (
        SubFamily("VEG", "Plantes et semences", "T2", "U", (1.9, 24.0), _t(
            "Géranium|Lavande|Rosier buisson|Terreau universel|Bulbes de tulipes|"
            "Graines de tomates|Olivier en pot"), _t(
            "pot de 12 cm|pot de 3 l|sac de 40 l|sachet|lot de 10"), 0.2),
        SubFamily("OUJ", "Outils de jardin", "T1", "U", (4.9, 49.0), _t(
            "Sécateur|Arrosoir|Râteau|Gants de jardinage|Tuyau d'arrosage|Transplantoir"), _t(
            "10 l|15 m|25 m|taille 8|taille 9|acier")),
    )),
    Family("PRE", "Presse et librairie", 0.05, (
        SubFamily("PRS", "Presse", "T4", "U", (1.2, 7.5), _t(
            "Quotidien régional|Magazine télé|Hebdomadaire d'actualité|Magazine de cuisine|"
            "Mensuel de jardinage"), _t("édition du jour|numéro du mois|hors-série")),
        SubFamily("LIV", "Livres", "T3", "U", (5.9, 29.0), _t(
            "Roman policier|Livre de cuisine|Bande dessinée|Guide de voyage|Album jeunesse|"
            "Atlas du monde"), _t("format poche|grand format|édition illustrée|tome 1|tome 2")),
    )),
    Family("SNA", "Snacking", 0.04, (
        SubFamily("SAN", "Sandwichs", "T2", "U", (2.5, 6.9), _t(
            "Sandwich jambon-beurre|Sandwich poulet crudités|Wrap thon|Croque-monsieur|Panini"),
           _t("baguette|pain complet|pain de mie|format maxi"), 0.8),
        SubFamily("REP", "Plats préparés", "T2", "U", (3.5, 9.9), _t(
            "Salade César|Taboulé|Lasagnes bolognaise|Quiche lorraine|Hachis parmentier"), _t(
            "300 g|400 g|individuel|2 parts"), 0.8),
    )),
)

#: Brands: (code, name, index of its supplier in SUPPLIERS, what it covers: a family
#: code "EPI" or a sub-family "EPI.SAL").
BRANDS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("CSEL", "Comptoir Sélection", 0, ("EPI.SAL", "EPI.SUC", "EPI.CON", "EPI.PDJ", "BOI.EAU",
                                       "BOI.JUS", "FRA", "HYG", "ENT", "MAI.CUI", "SNA")),
    ("CHOR", "Les Champs d'Or", 1, ("EPI.SAL", "EPI.CON")),
    ("TPRO", "Terre de Provence", 1, ("EPI.SAL", "EPI.CON")),
    ("ESUD", "Épices du Sud", 1, ("EPI.SAL",)),
    ("SANT", "Saveurs d'Antan", 21, ("EPI.SUC", "EPI.COF")),
    ("CMID", "Calissons du Midi", 21, ("EPI.SUC", "EPI.COF")),
    ("MVER", "Maison Vernet", 20, ("EPI.PDJ", "EPI.COF")),
    ("TLYO", "Torréfacteur Lyonnais", 20, ("EPI.PDJ",)),
    ("CBRE", "Conserverie de l'Odet", 22, ("EPI.CON",)),
    ("HELV", "Helvetia", 24, ("EPI.SUC",)),
    ("DCOT", "Domaine des Coteaux", 2, ("BOI.VIN", "BOI.SPI")),
    ("CHMA", "Château Marceau", 2, ("BOI.VIN",)),
    ("GDOM", "Grand Domaine", 2, ("BOI.VIN",)),
    ("BNOR", "Brasserie du Beffroi", 3, ("BOI.BIE",)),
    ("SVIV", "Source Vive", 4, ("BOI.EAU",)),
    ("VNOR", "Vergers de Normandie", 4, ("BOI.JUS", "BOI.SPI")),
    ("FLAC", "Fromagerie Lacombe", 5, ("FRA.FRO",)),
    ("LPRE", "Laiterie des Prés", 5, ("FRA.CRE",)),
    ("CBAS", "Charcuterie Bastide", 6, ("FRA.CHA",)),
    ("DNAT", "Douceur Nature", 7, ("HYG",)),
    ("CDLU", "Clair de Lune", 7, ("HYG",)),
    ("HYPL", "Hygiène Plus", 8, ("HYG",)),
    ("ECLA", "Éclat", 9, ("ENT",)),
    ("NETP", "Net Plus", 9, ("ENT",)),
    ("ALEN", "Atelier Lenoir", 10, ("MAI.CUI", "MAI.DEC")),
    ("ADVI", "Art de Vivre", 10, ("MAI.DEC", "MAI.LIN")),
    ("EUHA", "Europa Haushalt", 23, ("MAI.CUI",)),
    ("LLOI", "Linge de Loire", 12, ("MAI.LIN",)),
    ("FICO", "Fil et Coton", 11, ("TEX.HOM", "TEX.FEM")),
    ("MBLE", "Maille Bleue", 11, ("TEX",)),
    ("PMOU", "Petit Mousse", 12, ("TEX.ENF",)),
    ("OUTP", "Outilpro", 13, ("BRI.OUT", "BRI.QUI")),
    ("ATLA", "Atelier du Bois", 13, ("BRI.OUT",)),
    ("VOLT", "Volta", 14, ("BRI.ELE",)),
    ("JMAR", "Jardin de Marie", 15, ("JAR.VEG",)),
    ("VPAS", "Vert Passion", 16, ("JAR",)),
    ("EQUA", "Éditions du Quai", 18, ("PRE.LIV",)),
    ("PREG", "Presse des Régions", 17, ("PRE.PRS",)),
    ("LFOU", "Le Fournil", 19, ("SNA",)),
    ("BATR", "Bon Appétit Traiteur", 19, ("SNA",)),
)

#: Qualifiers that may follow a product name, per family ("" = none).
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "EPI": ("", "", "", "bio", "tradition", "recette originale", "premier prix"),
    "BOI": ("", "", "", "bio", "cuvée spéciale"),
    "FRA": ("", "", "", "bio", "label rouge", "fermier"),
    "HYG": ("", "", "", "bio", "peaux sensibles", "nouvelle formule"),
    "ENT": ("", "", "", "écologique", "concentré", "parfum citron"),
    "MAI": ("", "", "", "premium", "collection automne"),
    "TEX": ("", "", "", "coton bio", "collection été"),
    "BRI": ("", "", "", "professionnel", "premier prix"),
    "JAR": ("", "", "", "bio", "résistant"),
    "PRE": ("",),
    "SNA": ("", "", "", "bio", "recette du chef"),
}

USERS = ("m.durand", "s.lefevre", "c.bonnet", "a.moreau")

SUBSCRIPTIONS = (
    ("Maintenance annuelle des caisses enregistreuses", 89000, "A"),
    ("Abonnement logiciel de fidélité", 4900, "M"),
    ("Contrat d'entretien des chambres froides", 12500, "M"),
    ("Location de terminaux de paiement", 3900, "M"),
)
