-- Who may call the identity functions. api wrappers are invoker: the caller
-- needs execute on the wrapper and on the auth function it calls.
grant execute on function
api.signup(text, text, text, text, text),
api.login(text, text),
api.refresh(text),
api.confirm_email(text),
api.request_password_reset(text),
api.reset_password(text, text),
auth.signup(text, text, text, text, text),
auth.login(text, text),
auth.refresh(text),
auth.confirm_email(text),
auth.request_password_reset(text),
auth.reset_password(text, text)
to anon, customer, provider, ops;

grant execute on function api.logout(), api.me(), api.update_me(text, text, text), auth.logout()
to customer, provider, ops;

-- helpers the invoker wrappers and policies reach
grant execute on function
auth.check_profile(text, text, text),
auth.user_json(uuid),
auth.client_addr(),
internal.request_id()
to anon, customer, provider, ops;
