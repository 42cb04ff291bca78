// The provider's own profile and services: api.my_provider, api.my_services.
import { call } from "./client";
import type { ProviderProfile, Service } from "./types";

export const myProvider = (): Promise<ProviderProfile[]> => call<ProviderProfile[]>("/my_provider");
export const myServices = (): Promise<Service[]> => call<Service[]>("/my_services", { query: { order: "name" } });
