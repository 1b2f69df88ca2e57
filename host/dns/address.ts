// Where every sandbox's embedded resolver listens (Docker's address). Its own module, free of
// imports, so the CNI plugin can name it without loading the DNS server.
export const RESOLVER_ADDRESS = '127.0.0.11';
