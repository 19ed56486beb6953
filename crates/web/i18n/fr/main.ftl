# Tutti — catalogue de l'interface en français.

skip-to-content = Aller au contenu
nav-label = Navigation principale
nav-menu = Menu
nav-overview = Vue d’ensemble
nav-calendar = Calendrier
nav-inbox = Boîte de réception
nav-listening = Veille
nav-community = Communauté
nav-analytics = Statistiques
nav-soon = Bientôt
nav-workspace-settings = Espace de travail
nav-team = Équipe
nav-audit = Journal d’audit
nav-workspaces = Espaces de travail
nav-settings = Paramètres
switcher-label = Changer d’espace de travail
switcher-choose = Choisir un espace de travail
switcher-all = Tous les espaces de travail
user-menu = Votre compte
sign-out = Se déconnecter
save = Enregistrer
copy = Copier

area-calendar-soon = Le calendrier éditorial : planifier, relire et programmer les publications sur tous les réseaux.
area-inbox-soon = La boîte de réception unifiée : chaque réponse, mention et message, traités en équipe.
area-listening-soon = La veille : suivre les conversations autour de votre marque et de vos concurrents.
area-community-soon = La communauté : les personnes derrière les comptes, leur historique et leurs étiquettes.
area-analytics-soon = Les statistiques : KPI, tableaux de bord et rapports pour chaque rôle.
area-placeholder = Cet espace est en construction. Votre équipe, ses rôles et le journal d’audit sont déjà prêts.

role-admin = Administrateur
role-smm = Social media manager
role-cm = Community manager
role-analyst = Analyste
role-contributor = Contributeur
role-product = Liaison produit
role-admin-desc = Gère l’espace de travail : équipe, paramètres, comptes connectés.
role-smm-desc = Définit la stratégie, planifie le calendrier éditorial, valide les publications et réponses sensibles, anime l’équipe.
role-cm-desc = Publie selon le plan, répond à la communauté, modère, fait de la veille.
role-analyst-desc = Consulte les tableaux de bord et les rapports.
role-contributor-desc = Prépare brouillons et visuels ; ne publie pas.
role-product-desc = Lit les rapports de retours pour l’équipe produit.

field-email = Adresse e-mail
field-password = Mot de passe
field-password-hint = Au moins 10 caractères.
field-name = Nom
field-role = Rôle
field-workspace-name = Nom de l’espace de travail
field-timezone = Fuseau horaire
field-timezone-hint = Un nom IANA, comme Europe/Paris ou America/Montreal.
field-language = Langue
field-current-password = Mot de passe actuel
field-new-password = Nouveau mot de passe

login-title = Connexion
login-intro = Connectez-vous à l’espace de travail de votre équipe.
login-submit = Se connecter
login-wrong = Adresse e-mail ou mot de passe incorrect.
login-rate-limited = Trop de tentatives échouées. Réessayez dans { $minutes } min.
login-setup-needed = Tutti n’a encore aucun compte : ouvrez le lien de configuration affiché par tutti serve dans son terminal.

setup-title = Configurer Tutti
setup-intro = Créez le premier compte administrateur. Vous créerez ensuite les espaces de travail de vos marques et inviterez votre équipe.
setup-submit = Créer l’administrateur

invite-title = Rejoindre votre équipe
invite-intro = Vous avez été invité·e sur Tutti avec l’adresse { $email }. Choisissez votre nom et un mot de passe.
invite-submit = Rejoindre

workspaces-title = Espaces de travail
workspaces-yours = Vos espaces de travail
workspaces-none = Vous n’êtes membre d’aucun espace de travail pour l’instant. Demandez à un administrateur de vous inviter.
workspaces-new = Nouvel espace de marque
workspaces-new-intro = Un espace par marque : son équipe, ses comptes, son calendrier et sa boîte de réception.
workspaces-create = Créer l’espace de travail

overview-members = { $count ->
    [one] Un membre dans l’équipe
   *[other] { $count } membres dans l’équipe
}
overview-your-role = Votre rôle : { $role }
overview-instance-admin = Administrateur de l’instance
overview-team = Équipe
overview-manage-team = Gérer l’équipe →
overview-areas = Rubriques de l’espace de travail

team-title = Équipe
team-count = { $count ->
    [one] Un membre
   *[other] { $count } membres
}
team-members = Membres
team-col-person = Personne
team-col-role = Rôle
team-col-status = Statut
team-col-actions = Actions
team-you = vous
team-active = Actif
team-invited-status = Invité
team-role-of = Rôle de { $name }
team-remove = Retirer
team-remove-confirm = Retirer { $name } de cet espace de travail ?
team-invite = Inviter quelqu’un
team-invite-intro = Les personnes qui ont déjà un compte sont ajoutées tout de suite ; les autres reçoivent un lien d’invitation à leur transmettre.
team-invite-submit = Inviter
team-invited = { $email } a été invité·e
team-invited-share = Transmettez-lui ce lien ; il ne sert qu’une fois et expire dans 7 jours.
team-invite-link = Lien d’invitation
team-roles-help = Ce que chaque rôle peut faire

audit-title = Journal d’audit
audit-intro = Chaque modification faite dans cet espace : qui, quoi, quand, avant et après.
audit-filters = Filtrer le journal d’audit
audit-action = Action
audit-actor = Qui
audit-actor-placeholder = Nom ou adresse e-mail
audit-from = Du
audit-to = Au
audit-apply = Appliquer
audit-entries = Entrées
audit-col-when = Quand
audit-col-who = Qui
audit-col-what = Quoi
audit-col-target = Sur
audit-col-change = Modification
audit-became = devient
audit-empty = Aucune entrée ne correspond à ces filtres.
audit-more = Afficher les entrées plus anciennes
audit-bad-date = La date « { $field } » n’est pas valide (format attendu : AAAA-MM-JJ).
audit-filter-all = Toutes les actions
audit-filter-member = Équipe
audit-filter-workspace = Espace de travail
audit-filter-token = Jetons d’API
audit-filter-user = Comptes
audit-filter-invitation = Invitations
audit-filter-access = Tentatives refusées
audit-filter-instance = Instance
audit-action-instance-setup = A configuré Tutti
audit-action-user-add = A créé un compte
audit-action-user-preferences = A modifié ses préférences
audit-action-user-password = A changé son mot de passe
audit-action-workspace-create = A créé l’espace de travail
audit-action-member-add = A ajouté un membre
audit-action-member-role = A changé un rôle
audit-action-member-remove = A retiré un membre
audit-action-token-create = A créé un jeton d’API
audit-action-token-revoke = A révoqué un jeton d’API
audit-action-access-denied = S’est vu refuser
audit-action-invitation-accept = A accepté une invitation

settings-title = Paramètres
settings-profile = Profil
settings-language-auto = Comme mon navigateur
settings-saved = Vos paramètres ont été enregistrés.
settings-password = Mot de passe
settings-password-submit = Changer le mot de passe
settings-password-saved = Votre mot de passe a été changé. Vos autres sessions ont été déconnectées.
settings-tokens = Jetons d’API
settings-tokens-intro = Les jetons personnels permettent à des scripts d’utiliser l’API en votre nom (Authorization: Bearer …). Un jeton ne s’affiche qu’une fois.
settings-token-created = Copiez votre nouveau jeton maintenant : il ne sera plus affiché.
settings-token-value = Nouveau jeton d’API
settings-token-name = Nom du jeton
settings-token-placeholder = ex. Script de reporting
settings-token-create = Créer un jeton
settings-token-prefix = Commence par
settings-token-created-at = Créé le
settings-token-last-used = Dernière utilisation
settings-token-never = Jamais
settings-token-revoked = Révoqué
settings-token-revoke = Révoquer

error-home = Aller à mes espaces de travail
error-back = Revenir en arrière
error-generic-title = Cette requête pose problème
error-forbidden-title = Vous n’avez pas accès à cette page
error-not-found-title = Page introuvable
error-rate-limited-title = Trop de tentatives
error-internal-title = Une erreur est survenue
error-forbidden = Votre rôle dans cet espace de travail ne le permet pas. Demandez à un administrateur ou à votre social media manager si vous en avez besoin.
error-not-found = Cette page n’existe pas, ou vous n’êtes pas membre de son espace de travail.
error-csrf = Ce formulaire a expiré ou ne vient pas de Tutti. Rechargez la page et réessayez.
error-email_invalid = Cette adresse e-mail n’est pas valide (format attendu : nom@exemple.fr).
error-email_missing = Saisissez une adresse e-mail.
error-email_taken = Un compte utilise déjà cette adresse e-mail.
error-password_short = Le mot de passe est trop court : au moins 10 caractères.
error-password_long = Le mot de passe est trop long : 256 caractères au plus.
error-password_wrong = Le mot de passe actuel est incorrect.
error-required = Ce champ est obligatoire.
error-too_long = C’est trop long.
error-forbidden_characters = Ce texte contient des caractères de contrôle ou invisibles.
error-name_no_letters = Le nom doit contenir au moins une lettre ou un chiffre.
error-name_taken = Un espace de travail porte déjà ce nom.
error-timezone_unknown = Fuseau horaire inconnu : utilisez un nom IANA comme Europe/Paris.
error-locale_unknown = Langue inconnue : choisissez le français ou l’anglais.
error-role_unknown = Rôle inconnu.
error-already_member = Cette personne est déjà membre de cet espace de travail.
error-last_admin = L’espace de travail doit garder au moins un administrateur.
error-setup_token_invalid = Ce lien de configuration n’est pas valide ou a déjà servi.
