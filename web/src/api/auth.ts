// Sign-up, login, logout, password reset, the profile: api.signup, api.login, ...
import { call } from "./client";
import { session } from "./session";
import type { Locale, Session, SignupRequest, User } from "./types";

export async function signUp(body: SignupRequest): Promise<Session> {
  const s = await call<Session>("/rpc/signup", { method: "POST", body, anonymous: true });
  session.start(s);
  return s;
}

export async function logIn(email: string, password: string): Promise<Session> {
  const s = await call<Session>("/rpc/login", { method: "POST", body: { email, password }, anonymous: true });
  session.start(s);
  return s;
}

export async function logOut(): Promise<void> {
  try {
    await call<unknown>("/rpc/logout", { method: "POST", body: {} });
  } finally {
    session.clear();
  }
}

export const requestPasswordReset = (email: string): Promise<unknown> =>
  call("/rpc/request_password_reset", { method: "POST", body: { email }, anonymous: true });

export const resetPassword = (token: string, newPassword: string): Promise<unknown> =>
  call("/rpc/reset_password", { method: "POST", body: { token, new_password: newPassword }, anonymous: true });

export const confirmEmail = (token: string): Promise<unknown> =>
  call("/rpc/confirm_email", { method: "POST", body: { token }, anonymous: true });

export const me = (): Promise<User | null> => call<User | null>("/rpc/me");

/** The caller's language, kept in the profile (emails follow it). */
export const saveLocale = (locale: Locale): Promise<User> =>
  call<User>("/rpc/update_me", { method: "POST", body: { locale } });
