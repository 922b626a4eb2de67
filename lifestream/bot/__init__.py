"""The chat bots: Slack and Microsoft Teams, one package each, over what they share.

    intake      is it a recording, which links are worth fetching; fetch -> submit -> Outcome
    commands    what a person asks in words (help, ask, rename), parsed the same for both
    fetcher     fetching a shared link safely (public addresses only, capped)
    notify      the chat notifiers' base: which job events are theirs, how often progress shows
    notifiers   the notifiers a process gets, one per configured platform
    background  work after the request has been answered
    slack/      app (the bolt AsyncApp and its listeners), blocks (what it shows), notify (job events -> thread)
    teams/      endpoint (/api/messages), bot (the ActivityHandler), activities (reading one), config,
                proactive (sending outside a turn), cards (Adaptive Cards), posts, notify

Events and files already handled (redeliveries) are remembered in ``Services.seen`` (``lifestream.seen``).
"""
