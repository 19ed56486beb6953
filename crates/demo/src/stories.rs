//! The two stories of the demo: Maison Lumière, a French maker of lamps, and Northwind Coffee,
//! an English-speaking roaster in Montreal. Every name, handle and address in them is made up;
//! handles and links use the reserved `.example` domains.

use tutti_connector::Network;

use crate::MessageKind::{Direct, Follow, Like, Mention, Quote, Reply, Repost};
use crate::{
    Handling, Listening, Message, Persona, Story, StoryChannel, StoryDraft, StoryPost, StoryRule,
};

/// Every story, by name.
pub static STORIES: [Story; 2] = [FR, EN];

/// The story called `name`.
pub fn story(name: &str) -> Option<&'static Story> {
    STORIES.iter().find(|s| s.name == name)
}

const fn m(
    persona: usize,
    kind: crate::MessageKind,
    hours: i64,
    text: &'static str,
    on: Option<&'static str>,
    after: Option<usize>,
) -> Message {
    Message { persona, kind, hours, text, on, after }
}

const fn post(
    key: &'static str,
    channel: usize,
    hours: i64,
    text: &'static str,
    link: Option<(&'static str, i64)>,
) -> StoryPost {
    StoryPost { key, channel, hours, text, link }
}

const fn draft(channel: usize, hours: i64, text: &'static str) -> StoryDraft {
    StoryDraft { channel, hours, text }
}

const fn who(name: &'static str, handle: &'static str, channel: usize, since_days: i64) -> Persona {
    Persona { name, handle, channel, since_days }
}

const FR: Story = Story {
    name: "fr",
    lang: "fr",
    workspace: "maison-lumiere",
    smm: "camille.martin@demo.tutti.test",
    contributor: "zoe.lefebvre@demo.tutti.test",
    channels: &[
        StoryChannel {
            network: Network::Bluesky,
            handle: "maisonlumiere.example",
            account_id: "did:plc:demomaisonlumiere",
            followers: 4_210,
        },
        StoryChannel {
            network: Network::Mastodon,
            handle: "@maisonlumiere@mastodon.example",
            account_id: "109000000000777",
            followers: 1_380,
        },
    ],
    published: &[
        post("p01", 0, -718, "Bienvenue dans la collection d'automne : des lampes en lin et en laiton, fabriquées à Lyon. {link}", Some(("https://maison-lumiere.example/automne", 214))),
        post("p02", 1, -670, "Comment choisir la température de couleur de vos ampoules ? Notre guide en trois minutes : {link}", Some(("https://maison-lumiere.example/guide-ampoules", 132))),
        post("p03", 0, -622, "Elle est là : la lampe Aube, pied en chêne massif, abat-jour en lin lavé. Disponible dès aujourd'hui. {link}", Some(("https://maison-lumiere.example/aube", 389))),
        post("p04", 0, -574, "Dans l'atelier : Margaux tourne les pieds des lampes Aube un par un. Trois heures par pièce.", None),
        post("p05", 1, -526, "Question du jour : plutôt lumière chaude pour lire, ou froide pour travailler ?", None),
        post("p06", 0, -478, "Les suspensions Nuage sont de retour en stock, dans les trois tailles. {link}", Some(("https://maison-lumiere.example/nuage", 176))),
        post("p07", 1, -430, "Livraison offerte tout le week-end sur la collection d'automne.", None),
        post("p08", 0, -358, "Un salon, deux lampes, trois ambiances : nos conseils pour éclairer une pièce tout en longueur.", None),
        post("p09", 1, -310, "Merci pour vos 1 000 abonnements ici ! Un tirage au sort pour fêter ça la semaine prochaine.", None),
        post("p10", 0, -238, "Nouveau : l'applique Lueur, en laiton brossé, se branche sans électricien. {link}", Some(("https://maison-lumiere.example/lueur", 241))),
        post("p11", 1, -166, "Le tirage au sort est clos : bravo à Claire, qui gagne une lampe Aube.", None),
        post("p12", 0, -118, "Les coulisses de la séance photo de la collection d'hiver, au bord du lac d'Annecy.", None),
        post("p13", 0, -70, "Livraisons : notre transporteur a pris du retard cette semaine. Toutes les commandes partent d'ici vendredi, merci de votre patience.", None),
        post("p14", 1, -22, "Atelier ouvert samedi : venez voir naître une lampe Aube, de 10 h à 17 h.", None),
    ],
    scheduled: &[
        draft(0, 20, "Nos conseils pour une lumière douce au bureau, sans fatiguer les yeux."),
        draft(1, 44, "Rappel : l'atelier est ouvert ce samedi de 10 h à 17 h. Café offert !"),
        draft(0, 92, "La collection d'hiver arrive : laine bouillie, noyer et laiton. Rendez-vous lundi."),
        draft(0, 140, "Lampe Aube : trois façons de l'adopter, du salon à la chambre."),
        draft(1, 188, "Sondage : quelle finition pour la prochaine applique ? Laiton, noir mat ou chêne ?"),
        draft(0, 260, "Idées cadeaux : nos lampes de chevet préférées, toutes fabriquées à Lyon."),
        draft(1, 330, "Dans l'atelier : le tissage des abat-jour en lin, en vidéo."),
        draft(0, 428, "Derniers jours pour être livré avant les fêtes."),
    ],
    review: &[
        draft(0, 68, "Concours : partagez une photo de votre coin lecture avec #MaisonLumière et gagnez une applique Lueur !"),
        draft(1, 116, "Portrait : Margaux, tourneuse sur bois, nous raconte ses dix ans à l'atelier."),
        draft(0, 164, "Nouveau tuto : changer l'abat-jour de votre lampe Aube en deux minutes."),
    ],
    failing: draft(0, 0, "Soldes d'hiver en avant-première : -30 % sur toute la boutique https://boutique.maison-lumiere.invalid/soldes"),
    personas: &[
        who("Sophie Garnier", "sophiegarnier.example", 0, 900),
        who("Karim Benali", "karimbenali.example", 0, 1_500),
        who("Élodie Marchand", "elodie@mastodon.example", 1, 700),
        who("Le Vrai Avis", "levraiavis.example", 0, 6),
        who("Thomas Roux", "troux@piaille.example", 1, 400),
        who("Nadia Colin", "nadiacolin.example", 0, 1_100),
        who("Julien Faure", "jfaure@mastodon.example", 1, 2_000),
        who("Promo Lampes", "promo-lampes.example", 0, 2),
        who("Camille Dubois", "cdubois.example", 0, 800),
        who("Léa Girard", "leag@mastodon.example", 1, 300),
        who("Claire Lemoine", "clairelemoine.example", 0, 1_200),
    ],
    messages: &[
        /* 0 */ m(0, Reply, -600, "Commandée le jour de sa sortie, j'ai tellement hâte de la recevoir !", Some("p03"), None),
        /* 1 */ m(0, Reply, -66, "Ma lampe Aube est arrivée avec le pied fendu, commande 48213. Comment je fais pour être remboursée ou échangée ?", Some("p13"), None),
        /* 2 */ m(0, Reply, -40, "Toujours aucune réponse à mon mail d'avant-hier… Franchement déçue, c'était un cadeau.", Some("p13"), Some(1)),
        /* 3 */ m(1, Mention, -300, "@maisonlumiere.example l'ampoule est-elle fournie avec la suspension Nuage ? Et c'est quel culot, E27 ?", None, None),
        /* 4 */ m(1, Mention, -298, "@maisonlumiere.example et est-ce qu'elle fonctionne avec un variateur ?", None, Some(3)),
        /* 5 */ m(2, Reply, -520, "Chaude pour lire, sans hésiter ! Ma lampe Aube est parfaite au-dessus du canapé.", Some("p05"), None),
        /* 6 */ m(2, Quote, -160, "Bravo Claire ! Elle est superbe, je confirme : j'ai la même depuis un mois et je l'adore.", Some("p11"), None),
        /* 7 */ m(3, Reply, -200, "Lampes de merde hors de prix, bande d'escrocs. T'es qu'un connard de marketeux.", Some("p03"), None),
        /* 8 */ m(3, Reply, -100, "Encore vos lampes de pacotille ? Ferme ta gueule, personne n'en veut, bande de nuls.", Some("p10"), None),
        /* 9 */ m(4, Mention, -250, "@maisonlumiere@mastodon.example l'application ne détecte plus mon applique Lueur depuis la mise à jour, et elle plante à l'ouverture. Un bug connu ?", None, None),
        /* 10 */ m(4, Mention, -200, "@maisonlumiere@mastodon.example réinstallée, même bug : l'appli plante dès que j'ouvre la page de l'applique.", None, Some(9)),
        /* 11 */ m(5, Reply, -230, "Ce serait génial d'avoir une version rechargeable sans fil de l'applique Lueur, pour les murs sans prise !", Some("p10"), None),
        /* 12 */ m(5, Reply, -110, "Ces photos sont superbes, bravo à toute l'équipe !", Some("p12"), None),
        /* 13 */ m(6, Direct, -90, "Bonjour, ma commande 48377 n'a toujours pas été expédiée. Pouvez-vous me dire quand elle partira ?", None, None),
        /* 14 */ m(6, Direct, -30, "Toujours rien reçu, c'est inadmissible. Je veux être remboursé si elle ne part pas cette semaine.", None, Some(13)),
        /* 15 */ m(7, Reply, -140, "Lampes design à -70 % !!! Livraison gratuite sur https://promo-lampes.example/deal", Some("p06"), None),
        /* 16 */ m(8, Like, -610, "", Some("p03"), None),
        /* 17 */ m(8, Follow, -600, "", None, None),
        /* 18 */ m(9, Repost, -660, "", Some("p02"), None),
        /* 19 */ m(9, Follow, -655, "", None, None),
        /* 20 */ m(8, Like, -230, "", Some("p10"), None),
        /* 21 */ m(1, Like, -470, "", Some("p06"), None),
        /* 22 */ m(10, Like, -60, "", Some("p13"), None),
        // While the demo runs.
        /* 23 */ m(9, Like, 2, "", Some("p14"), None),
        /* 24 */ m(10, Mention, 6, "Quelqu'un a déjà essayé l'applique Lueur de @maisonlumiere.example ? Je cherche un avis avant de craquer.", None, None),
        /* 25 */ m(0, Reply, 30, "Le transporteur vient de passer : pied de remplacement reçu, elle est parfaite. Merci pour le geste !", Some("p13"), Some(2)),
        /* 26 */ m(2, Reply, 70, "Je viendrai samedi à l'atelier avec ma fille !", Some("p14"), None),
    ],
    rules: &[
        StoryRule { name: "Insultes : masquer", words: "", toxicity: "0.6", domains: "", kinds: "reply,mention,quote", actions: "hide,tag:insulte" },
        StoryRule { name: "Liens promotionnels", words: "", toxicity: "", domains: "promo-lampes.example", kinds: "", actions: "hide,report:spam,tag:spam" },
        StoryRule { name: "Remboursements en priorité", words: "remboursement, remboursé, remboursée, fendu, cassé", toxicity: "", domains: "", kinds: "", actions: "tag:sav,priority:2" },
        StoryRule { name: "Commandes en retard", words: "expédiée, commande", toxicity: "", domains: "", kinds: "dm", actions: "tag:livraison,assign:lucas.bernard@demo.tutti.test" },
    ],
    handling: &[
        Handling { persona: 0, tags: "cliente-fidele,sav", note: "Commande 48213 : pied fendu. Remplacement expédié, suivi envoyé par e-mail.", assignee: "ines.haddad@demo.tutti.test", status: "pending", conversation_note: "Photos reçues, l'atelier valide le remplacement. On attend la livraison." },
        Handling { persona: 1, tags: "question-produit", note: "", assignee: "lucas.bernard@demo.tutti.test", status: "open", conversation_note: "" },
        Handling { persona: 2, tags: "ambassadrice,cliente-fidele", note: "Vient souvent aux ateliers et partage nos posts. Penser à elle pour le prochain test produit.", assignee: "", status: "closed", conversation_note: "" },
        Handling { persona: 3, tags: "troll", note: "Compte créé il y a une semaine, insultes répétées. Ne pas répondre.", assignee: "", status: "closed", conversation_note: "" },
        Handling { persona: 4, tags: "bug-appli", note: "Android 14, application 2.3.1. Remonté à l'équipe produit.", assignee: "ines.haddad@demo.tutti.test", status: "open", conversation_note: "Ticket ouvert côté produit, en attente d'un correctif." },
        Handling { persona: 5, tags: "idee-produit", note: "Demande une version rechargeable de Lueur.", assignee: "", status: "closed", conversation_note: "" },
    ],
    listening: Listening {
        queries: &[
            ("Maison Lumière", "\"maison lumière\" OR maisonlumiere OR \"lampe aube\"", "brand"),
            ("Lumen Paris", "\"lumen paris\" OR lumenparis", "competitor"),
        ],
        chatter: &[
            "J'adore ma lampe Aube de Maison Lumière, la lumière est si douce le soir.",
            "Maison Lumière a encore sorti une collection magnifique, tout est fabriqué à Lyon.",
            "Quelqu'un a testé les suspensions de Maison Lumière ? Des avis ?",
            "Lumen Paris fait des promos, mais la qualité n'est pas au rendez-vous.",
            "Lumen Paris ou Maison Lumière pour une lampe de chevet ? J'hésite.",
            "Visite de l'atelier Maison Lumière samedi, super accueil et un café en prime.",
            "Livraison Maison Lumière un peu longue cette fois, mais la lampe vaut le coup.",
            "Le service client de Lumen Paris ne répond jamais, vraiment pénible.",
            "Nouvelle déco du salon avec une lampe Aube, je suis fan.",
            "Maison Lumière, c'est cher, mais c'est solide et ça dure.",
            "Lumen Paris vient d'ouvrir une boutique à Bordeaux.",
            "Mon applique Lueur de Maison Lumière est parfaite dans l'entrée.",
        ],
        spike: &[
            "Lampe Aube reçue avec le pied fendu… Maison Lumière, vous faites un rappel ?",
            "Deuxième lampe Aube cassée à la livraison, ça commence à faire beaucoup Maison Lumière.",
            "Apparemment plein de lampes Aube arrivent avec le pied fendu. Rappel en vue ?",
            "Maison Lumière : pied fendu sur ma lampe aube aussi, je ne suis pas la seule visiblement.",
            "Ma sœur a reçu sa lampe Aube cassée, Maison Lumière a promis un échange.",
            "Si vous avez commandé une lampe Aube chez Maison Lumière, vérifiez le pied avant de signer.",
        ],
        authors: &[
            "margot@piaille.example", "yanis@mastodon.example", "chloe_b@piaille.example",
            "paul.v@mastodon.example", "ines_r@piaille.example", "hugo.decor@mastodon.example",
            "salome@piaille.example", "bastien@mastodon.example", "lou@piaille.example",
            "mathis.l@mastodon.example", "anais@piaille.example", "romain@mastodon.example",
        ],
        alert_keyword: "fendu OR fendue OR rappel OR cassée",
    },
};

const EN: Story = Story {
    name: "en",
    lang: "en",
    workspace: "northwind-coffee",
    smm: "emma.walker@demo.tutti.test",
    contributor: "olivia.chen@demo.tutti.test",
    channels: &[
        StoryChannel {
            network: Network::Bluesky,
            handle: "northwindcoffee.example",
            account_id: "did:plc:demonorthwindcoffee",
            followers: 6_840,
        },
        StoryChannel {
            network: Network::Mastodon,
            handle: "@northwind@mastodon.example",
            account_id: "109000000000888",
            followers: 2_115,
        },
    ],
    published: &[
        post("p01", 0, -716, "Autumn blend is back: maple, cocoa and a little smoke. Roasted in Montreal this morning. {link}", Some(("https://northwind-coffee.example/autumn", 266))),
        post("p02", 1, -668, "How fine should you grind for a pour-over? Our three-minute guide: {link}", Some(("https://northwind-coffee.example/grind-guide", 148))),
        post("p03", 0, -620, "Meet the Harbor grinder: 40 steel burr settings, built to last a decade. {link}", Some(("https://northwind-coffee.example/harbor", 402))),
        post("p04", 0, -572, "At the roastery: Sam cups every batch before it leaves. Twenty cups before lunch.", None),
        post("p05", 1, -524, "Question of the day: espresso in the morning, or filter all day long?", None),
        post("p06", 0, -476, "Our Ethiopia Guji single origin is back in stock, whole bean or ground. {link}", Some(("https://northwind-coffee.example/guji", 189))),
        post("p07", 1, -428, "Free shipping all weekend on subscriptions.", None),
        post("p08", 0, -356, "Three ways to make cold brew at home, no special gear needed.", None),
        post("p09", 1, -308, "Thank you for 2,000 followers here! A giveaway next week to celebrate.", None),
        post("p10", 0, -236, "New: the Northwind app now tracks your loyalty points and reorders in one tap. {link}", Some(("https://northwind-coffee.example/app", 233))),
        post("p11", 1, -164, "The giveaway is closed: congratulations to Hannah, who wins a Harbor grinder.", None),
        post("p12", 0, -116, "Behind the scenes of our winter photo shoot, in the Laurentians.", None),
        post("p13", 0, -68, "Shipping update: our courier is running late this week. Every order ships by Friday, thank you for your patience.", None),
        post("p14", 1, -20, "Open roastery on Saturday: come and watch a batch from green bean to cup, 10 am to 5 pm.", None),
    ],
    scheduled: &[
        draft(0, 22, "Five tips for better coffee at the office, no machine required."),
        draft(1, 46, "Reminder: the roastery is open this Saturday, 10 am to 5 pm. First cup's on us."),
        draft(0, 94, "Winter blend lands Monday: dark chocolate, dried cherry, a long finish."),
        draft(0, 142, "The Harbor grinder: three ways to dial it in for espresso."),
        draft(1, 190, "Poll: which single origin should we roast next? Colombia, Kenya or Guatemala?"),
        draft(0, 262, "Gift ideas: our favourite subscriptions and gear for coffee lovers."),
        draft(1, 332, "At the roastery: how we sort green beans by hand, on video."),
        draft(0, 430, "Last days to order for delivery before the holidays."),
    ],
    review: &[
        draft(0, 70, "Contest: share a photo of your morning cup with #NorthwindMornings and win a Harbor grinder!"),
        draft(1, 118, "Portrait: Sam, our head roaster, on ten years of first cracks."),
        draft(0, 166, "New tutorial: descale your espresso machine in ten minutes."),
    ],
    failing: draft(0, 0, "Early access to our winter sale: 30% off the whole shop https://shop.northwind-coffee.invalid/sale"),
    personas: &[
        who("Maya Patel", "mayapatel.example", 0, 950),
        who("Daniel Kim", "danielkim.example", 0, 1_400),
        who("Grace O'Neill", "grace@mastodon.example", 1, 650),
        who("RealTalk Reviews", "realtalkreviews.example", 0, 5),
        who("Ben Carter", "bencarter@fosstodon.example", 1, 420),
        who("Priya Shah", "priyashah.example", 0, 1_050),
        who("Liam Wright", "liamw@mastodon.example", 1, 1_900),
        who("Cheap Beans Deals", "cheap-beans.example", 0, 1),
        who("Zoe Hall", "zoehall.example", 0, 760),
        who("Owen Price", "owenp@mastodon.example", 1, 280),
        who("Chloe Martin", "chloemartin.example", 0, 1_300),
    ],
    messages: &[
        /* 0 */ m(0, Reply, -598, "Ordered mine the day it launched, can't wait to try it!", Some("p03"), None),
        /* 1 */ m(0, Reply, -64, "My Harbor grinder arrived with a cracked hopper, order 58213. How do I get a refund or a replacement?", Some("p13"), None),
        /* 2 */ m(0, Reply, -38, "Still no answer to my email from two days ago… Really disappointed, it was a gift.", Some("p13"), Some(1)),
        /* 3 */ m(1, Mention, -298, "@northwindcoffee.example do you ship the Guji as whole bean only? And is there a decaf option?", None, None),
        /* 4 */ m(1, Mention, -296, "@northwindcoffee.example also, can I pause my subscription while I'm travelling?", None, Some(3)),
        /* 5 */ m(2, Reply, -518, "Filter all day, no question! The autumn blend is perfect in my Chemex.", Some("p05"), None),
        /* 6 */ m(2, Quote, -158, "Congratulations Hannah! It's a lovely grinder, I've had mine for a month and I love it.", Some("p11"), None),
        /* 7 */ m(3, Reply, -198, "Overpriced garbage beans. You're such a bunch of idiots, fuck you and your hipster junk.", Some("p03"), None),
        /* 8 */ m(3, Reply, -98, "More of your junk? Shut up, nobody wants it, you pathetic losers.", Some("p10"), None),
        /* 9 */ m(4, Mention, -248, "@northwind@mastodon.example the app stopped showing my loyalty points after the update, and it crashes when I open rewards. Known bug?", None, None),
        /* 10 */ m(4, Mention, -198, "@northwind@mastodon.example reinstalled, same bug: the app crashes as soon as I open the rewards page.", None, Some(9)),
        /* 11 */ m(5, Reply, -228, "It would be great if the app let us choose compostable pods for the subscription!", Some("p10"), None),
        /* 12 */ m(5, Reply, -108, "These photos are gorgeous, well done to the whole team!", Some("p12"), None),
        /* 13 */ m(6, Direct, -88, "Hi, my order 58377 still hasn't shipped. Can you tell me when it will go out?", None, None),
        /* 14 */ m(6, Direct, -28, "Still nothing, this is unacceptable. I want a refund if it doesn't ship this week.", None, Some(13)),
        /* 15 */ m(7, Reply, -138, "Specialty coffee 70% OFF!!! Free shipping at https://cheap-beans.example/deal", Some("p06"), None),
        /* 16 */ m(8, Like, -608, "", Some("p03"), None),
        /* 17 */ m(8, Follow, -598, "", None, None),
        /* 18 */ m(9, Repost, -658, "", Some("p02"), None),
        /* 19 */ m(9, Follow, -653, "", None, None),
        /* 20 */ m(8, Like, -228, "", Some("p10"), None),
        /* 21 */ m(1, Like, -468, "", Some("p06"), None),
        /* 22 */ m(10, Like, -58, "", Some("p13"), None),
        // While the demo runs.
        /* 23 */ m(9, Like, 2, "", Some("p14"), None),
        /* 24 */ m(10, Mention, 6, "Has anyone tried the Harbor grinder from @northwindcoffee.example? Looking for a review before I buy.", None, None),
        /* 25 */ m(0, Reply, 30, "The courier just came by: replacement hopper received, it works perfectly. Thank you!", Some("p13"), Some(2)),
        /* 26 */ m(2, Reply, 70, "I'll come to the roastery on Saturday with my daughter!", Some("p14"), None),
    ],
    rules: &[
        StoryRule { name: "Insults: hide", words: "", toxicity: "0.6", domains: "", kinds: "reply,mention,quote", actions: "hide,tag:insult" },
        StoryRule { name: "Promotional links", words: "", toxicity: "", domains: "cheap-beans.example", kinds: "", actions: "hide,report:spam,tag:spam" },
        StoryRule { name: "Refunds first", words: "refund, cracked, broken, replacement", toxicity: "", domains: "", kinds: "", actions: "tag:support,priority:2" },
        StoryRule { name: "Late orders", words: "shipped, order", toxicity: "", domains: "", kinds: "dm", actions: "tag:shipping,assign:noah.brooks@demo.tutti.test" },
    ],
    handling: &[
        Handling { persona: 0, tags: "loyal-customer,support", note: "Order 58213: cracked hopper. Replacement shipped, tracking sent by email.", assignee: "ines.haddad@demo.tutti.test", status: "pending", conversation_note: "Photos received, the workshop approved a replacement. Waiting for delivery." },
        Handling { persona: 1, tags: "product-question", note: "", assignee: "noah.brooks@demo.tutti.test", status: "open", conversation_note: "" },
        Handling { persona: 2, tags: "advocate,loyal-customer", note: "Comes to every open roastery and shares our posts. Think of her for the next product test.", assignee: "", status: "closed", conversation_note: "" },
        Handling { persona: 3, tags: "troll", note: "Account created a week ago, repeated insults. Do not reply.", assignee: "", status: "closed", conversation_note: "" },
        Handling { persona: 4, tags: "app-bug", note: "iOS 18, app 2.3.1. Passed on to the product team.", assignee: "ines.haddad@demo.tutti.test", status: "open", conversation_note: "Ticket opened with product, waiting for a fix." },
        Handling { persona: 5, tags: "product-idea", note: "Asks for compostable pods in the subscription.", assignee: "", status: "closed", conversation_note: "" },
    ],
    listening: Listening {
        queries: &[
            ("Northwind Coffee", "\"northwind coffee\" OR northwindcoffee OR \"harbor grinder\"", "brand"),
            ("Bluebird Roasters", "\"bluebird roasters\" OR bluebirdroasters", "competitor"),
        ],
        chatter: &[
            "Love my Northwind Coffee autumn blend, it tastes like a cosy Sunday.",
            "Northwind Coffee just dropped another great single origin, roasted right here in Montreal.",
            "Has anyone tried the Northwind Coffee subscription? Worth it?",
            "Bluebird Roasters has a sale on, but the beans taste stale to me.",
            "Bluebird Roasters or Northwind Coffee for a first grinder? Can't decide.",
            "Visited the Northwind Coffee roastery on Saturday, lovely people and free espresso.",
            "Northwind Coffee shipping was slow this time, but the beans are worth the wait.",
            "Bluebird Roasters customer service never answers, so annoying.",
            "New morning routine with the Harbor grinder, I'm a fan.",
            "Northwind Coffee is pricey, but it's fresh and it shows.",
            "Bluebird Roasters just opened a café in Ottawa.",
            "The Northwind Coffee app makes reordering so easy.",
        ],
        spike: &[
            "Harbor grinder arrived with a cracked hopper… Northwind Coffee, is there a recall?",
            "Second Harbor grinder broken on delivery, that's a lot Northwind Coffee.",
            "Looks like lots of Harbor grinders arrive with cracked hoppers. Recall coming?",
            "Northwind Coffee: cracked hopper on my harbor grinder too, I'm clearly not the only one.",
            "My brother got his Harbor grinder broken, Northwind Coffee promised a replacement.",
            "If you ordered a Harbor grinder from Northwind Coffee, check the hopper before you sign.",
        ],
        authors: &[
            "jess@mastodon.example", "marcus@fosstodon.example", "ana_r@mastodon.example",
            "tom.b@fosstodon.example", "kenji@mastodon.example", "lucy.home@fosstodon.example",
            "sara@mastodon.example", "devon@fosstodon.example", "nina@mastodon.example",
            "felix.l@fosstodon.example", "rosa@mastodon.example", "ethan@fosstodon.example",
        ],
        alert_keyword: "cracked OR recall OR broken",
    },
};
