"""What members and organizers can do: one module per feature, named for its commands.

- Every command lives in the module its first word names: ``pitch``/``ideas``/``idea`` in
  ideas.py, ``upvote``/``downvote``/``unvote`` in votes.py, ``say`` in say.py, ``doc`` in
  documents.py, ``petition``/``sign``/``unsign``/``signers`` in petitions.py,
  ``campaign``/``campaigns`` in campaigns.py, ``update`` in updates.py, ``nextstep``/``object``
  in nextsteps.py, ``register``/``another``/``choose``/``link`` in registration.py,
  ``unlink`` in accounts.py, ``whoami``/``reveal``/``unreveal`` in profile.py,
  ``subscribe``/``unsubscribe``/``subscriptions`` in subscriptions.py,
  ``notify``/``timezone`` in preferences.py, ``help`` in help.py.
- ``mod`` commands live in moderation.py, except where a feature owns the thing moderated:
  ``mod deadline`` in deadlines.py, ``mod unsubscribe`` with the rest of email.
- Email (the ``email`` and ``verify`` commands, addresses, what each mail says) is the
  package email/; sending it over SMTP is a transport, bot/transports/email/.
- framework/ is the command framework the features build on: the registry of declarations,
  the invoker (invoker.py), what a command receives and returns, the ``[rules]``,
  ``[schedule]`` and ``[privacy]`` tables, member text cleaning, delayed public actions.
  It imports no feature (tests/test_layers.py holds it to that).
- jobs/ holds what the scheduler runs and the jobs that belong to no single command (the
  daily digest, stall alerts); a feature's own sweep (deadlines, next steps, the weekly
  update) stays with the feature, and jobs/table.py names them all.
- catalog.py assembles the registry from the features; admin.py is the CLI's code minting.
"""
